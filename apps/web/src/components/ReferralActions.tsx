import { type FormEvent, type RefObject, useEffect, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { ApiError, errorMessage } from '../api/problem';
import type { ActionField, Referral, ReferralAction, ReferralActionBody } from '../api/types';
import { ACTION_EVENTS } from '../lib/action-events';
import { firstInvalid, useFocusAfterRender } from '../lib/focus';
import { formatDateTimeInZone, isoToZonedInput, zonedDateTimeToIso } from '../lib/format';
import { actionHint, actionLabel, appointmentZone, recipientParty, statusLabel, unscheduleReasonLabel } from '../lib/labels';
import { useLeaveGuard } from '../lib/leave-guard';
import { useLostAnswer } from '../lib/lost-answer';
import { CONSENT_MISSING } from '../lib/messages';
import { useReferenceData, useUser } from '../lib/session-hooks';
import { Field, ScoreOptions } from './Field';
import { Notice } from './Feedback';

interface Props {
  referral: Referral;
  /** An action is on its way: what the page said about the last one no longer applies. */
  onStart: () => void;
  onDone: (updated: Referral, action: ReferralAction) => void;
  /** The referral changed under us (409): reload and say so. */
  onConflict: (error: ApiError) => void;
  /** Where focus goes when a form closes and the button that opened it is no longer there. */
  fallbackFocus: () => HTMLElement | null;
}

interface Values {
  note: string;
  reason: string;
  reasonChoice: string;
  appointmentAt: string;
  summary: string;
  recommendations: string;
  painLevel: string;
  psfs: string;
  visits: string;
  recommendMaintenance: boolean;
}
const EMPTY: Values = {
  note: '',
  reason: '',
  reasonChoice: '',
  appointmentAt: '',
  summary: '',
  recommendations: '',
  painLevel: '',
  psfs: '',
  visits: '',
  recommendMaintenance: false,
};
/** A refused action in plain words (a missing consent is named, not the API's wording). */
const failureText = (failure: unknown) =>
  failure instanceof ApiError && failure.code === 'consent_required' ? CONSENT_MISSING : errorMessage(failure);

/** The actions offered as buttons here: progress has its own form (ProgressForm.tsx), next to the reports it adds to. */
export const buttonActions = (referral: Referral) => referral.allowedActions.filter((action) => action !== 'report-progress');

const DANGER: ReadonlySet<ReferralAction> = new Set(['decline', 'cancel', 'request-cancel', 'confirm-cancel']);

/**
 * A form left open while the referral changes (the other side, a colleague, another tab) keeps what
 * was typed in it and says so ({@link ChangedNotice}). When its action is no longer offered, focus
 * goes to that notice if it was in the form or fell to <body>: the person is told, not left lost.
 */
export function useChangedWhileOpen(version: number, open: boolean, offered: boolean) {
  const [changed, setChanged] = useState(false);
  const seen = useRef(version);
  const formRef = useRef<HTMLFormElement>(null);
  const noticeRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();
  useEffect(() => {
    if (version === seen.current) return;
    seen.current = version;
    if (!open) return;
    setChanged(true);
    const focus = document.activeElement;
    if (!offered && (focus === document.body || formRef.current?.contains(focus))) focusAfter(() => noticeRef.current);
    // Only the version matters here; `open` and `offered` are read as they are then.
  }, [version]);
  return { changed, setChanged, formRef, noticeRef };
}

/** What a form says once the referral changed while it was open: check before confirming, or its action has gone. */
export function ChangedNotice({
  noticeRef,
  status,
  label,
  offered,
}: {
  noticeRef: RefObject<HTMLDivElement | null>;
  /** The referral's status now. */
  status: string;
  /** The form's action, as its button said. */
  label: string;
  offered: boolean;
}) {
  return (
    <div ref={noticeRef} tabIndex={-1} className="flash-slot">
      <Notice tone="info">
        The referral changed while this was open:{' '}
        {offered
          ? 'check it above before you confirm.'
          : `it is now ${statusLabel(status)}, so ${label} is no longer possible. What you entered stays here to copy; Back closes this form.`}
      </Notice>
    </div>
  );
}

/**
 * Exactly the actions the API allows this user now (`allowedActions`), each with the body fields
 * the state machine lists for it (GET /reference-data `referralActions[action].fields`).
 */
export function ReferralActions({ referral, onStart, onDone, onConflict, fallbackFocus }: Props) {
  // What the recipient asked, shown where the sender answers it (the latest request).
  const question = [...(referral.timeline ?? [])].reverse().find((event) => event.type === 'info_requested')?.reason ?? null;
  // A no-show is offered once the appointment's time has come (the API refuses it before).
  const appointmentPassed = referral.appointmentAt !== null && Date.parse(referral.appointmentAt) <= Date.now();
  // "Start care" says the patient has been seen, and tells the sender so: asked first while the appointment is ahead.
  const careAhead = referral.appointmentAt !== null && !appointmentPassed;
  const reference = useReferenceData();
  const user = useUser();
  const [active, setActive] = useState<ReferralAction | null>(null);
  const [values, setValues] = useState<Values>(EMPTY);
  /** The values the open form started with: leaving the page with others typed in it, not sent, asks first. */
  const [openedWith, setOpenedWith] = useState<Values>(EMPTY);
  useLeaveGuard(active !== null && JSON.stringify(values) !== JSON.stringify(openedWith));
  const [errors, setErrors] = useState<Partial<Record<ActionField | 'summary' | 'psfs' | 'visits', string>>>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const buttonsRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();
  const allowed = buttonActions(referral);
  const offered = active !== null && (allowed as readonly string[]).includes(active);
  const { changed, setChanged, formRef, noticeRef } = useChangedWhileOpen(referral.version, active !== null, offered);
  const focusFirstInvalid = () => focusAfter(() => firstInvalid(formRef.current));
  const finished = (updated: Referral, action: ReferralAction) => {
    onDone(updated, action);
    // Done: the form closes, also when the new state offers its action again (Reschedule).
    setActive(null);
  };
  /**
   * An action whose answer was lost counts as done once the timeline shows it (a new event of that
   * action by this user, with the same note and reason), instead of the form saying it is no longer
   * possible (it has happened) or doing it twice (a second note).
   */
  const sendOnce = useLostAnswer<{ action: ReferralAction; body: ReferralActionBody }>(referral, values, {
    known: (r) => (r.timeline ?? []).map((event) => event.id),
    shows: (current, { action, body }, before) =>
      (current.timeline ?? []).some(
        (event) =>
          !before.has(event.id) &&
          event.actorId === user?.id &&
          event.type === ACTION_EVENTS[action] &&
          (body.note === undefined || event.note === body.note) &&
          (body.reason === undefined || event.reason === body.reason),
      ),
    onLanded: (current, { action }) => finished(current, action),
  });
  // What was said about an earlier attempt is old news once the referral has changed.
  useEffect(() => setFailure(null), [referral.version]);

  // An opened form takes focus: a warning it opens with first (so it is read out), else its first field, else its
  // confirm button (a confirmation with nothing to fill in), never left on the button that opened it.
  useEffect(() => {
    if (!active) return;
    const form = formRef.current;
    const target =
      form?.querySelector<HTMLElement>('[data-focus-first]') ??
      form?.querySelector<HTMLElement>('textarea, input, select, button[type=submit]');
    target?.focus();
  }, [active]);

  const fields = (action: ReferralAction) => reference.referralActions[action]?.fields ?? {};
  /** Whether the action opens a form (its fields, or a confirmation) instead of happening at once. */
  const asksFirst = (action: ReferralAction) =>
    Object.keys(fields(action)).length > 0 || DANGER.has(action) || (action === 'start-care' && careAhead);

  const perform = async (action: ReferralAction, body: ReferralActionBody) => {
    setBusy(true);
    setFailure(null);
    onStart();
    try {
      const updated = await sendOnce({ action, body }, () =>
        call(
          api.POST('/api/v1/referrals/{id}/{action}', {
            params: { path: { id: referral.id, action } },
            body: { ...body, version: referral.version },
          }),
        ),
      );
      finished(updated, action);
    } catch (e) {
      if (e instanceof ApiError && (e.code === 'stale_version' || e.code === 'invalid_transition')) onConflict(e);
      else {
        setFailure(e);
        if (e instanceof ApiError) {
          setErrors({
            note: e.fieldMessage('note'),
            reason: e.fieldMessage('reason'),
            appointmentAt: e.fieldMessage('appointmentAt'),
            summary: e.fieldMessage('outcome'),
          });
          focusFirstInvalid();
        }
      }
    } finally {
      setBusy(false);
    }
  };

  const open = (action: ReferralAction) => {
    setFailure(null);
    setErrors({});
    if (!asksFirst(action)) {
      void perform(action, {});
      return;
    }
    // A reschedule starts from the appointment it moves, on the clocks it is typed in.
    const current = action === 'reschedule' ? referral.appointmentAt : null;
    const start = { ...EMPTY, appointmentAt: current ? isoToZonedInput(new Date(current), appointmentZone(referral)) : '' };
    setValues(start);
    setOpenedWith(start);
    setChanged(false);
    setActive(action);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!active || !offered) return;
    const f = fields(active);
    const found: typeof errors = {};
    const body: ReferralActionBody = {};
    const reason = active === 'unschedule' && values.reasonChoice !== 'other' ? values.reasonChoice : values.reason.trim();
    if (f.note) {
      if (values.note.trim()) body.note = values.note.trim();
      else if (f.note === 'required') found.note = 'Write a note.';
    }
    if (f.reason) {
      if (reason) body.reason = reason;
      else if (f.reason === 'required') found.reason = 'Give a reason.';
    }
    if (f.appointmentAt) {
      if (!values.appointmentAt) {
        if (f.appointmentAt === 'required') found.appointmentAt = 'Choose the date and time.';
      } else {
        // Typed on the clocks of the clinic where it happens (the recipient's), whatever the browser's zone.
        const at = zonedDateTimeToIso(values.appointmentAt, appointmentZone(referral));
        if (new Date(at).getTime() <= Date.now()) found.appointmentAt = 'The appointment must be in the future.';
        else body.appointmentAt = at;
      }
    }
    if (f.outcome) {
      const psfs = Number(values.psfs);
      const visits = Number(values.visits);
      if (values.psfs && !(psfs >= 0 && psfs <= 10)) found.psfs = 'A score from 0 to 10.';
      if (values.visits && !(Number.isInteger(visits) && visits >= 0)) found.visits = 'A whole number of visits.';
      if (!values.summary.trim()) {
        if (f.outcome === 'required') found.summary = 'Summarise the outcome.';
      } else {
        body.outcome = {
          summary: values.summary.trim(),
          recommendations: values.recommendations.trim() || undefined,
          painLevel: values.painLevel === '' ? undefined : Number(values.painLevel),
          psfs: values.psfs === '' ? undefined : psfs,
          visits: values.visits === '' ? undefined : visits,
          recommendMaintenance: values.recommendMaintenance,
        };
      }
    }
    setErrors(found);
    if (Object.keys(found).length > 0) {
      focusFirstInvalid();
      return;
    }
    void perform(active, body);
  };

  if (allowed.length === 0 && !active) return null;

  const f = active ? fields(active) : {};
  // The API leaves Accept out while the recipient's licence has lapsed (it would answer 422 licence_expired).
  const licenceBlocksAccept =
    (referral.status === 'sent' || referral.status === 'received') &&
    referral.allowedActions.includes('decline') &&
    !referral.allowedActions.includes('accept');
  const set = (key: Exclude<keyof Values, 'recommendMaintenance'>) => (e: { target: { value: string } }) =>
    setValues((v) => ({ ...v, [key]: e.target.value }));
  return (
    <div className="stack">
      {allowed.length > 0 && (
        <div ref={buttonsRef} className="action-buttons" role="group" aria-label="Actions">
          {allowed.map((action) => (
            <button
              key={action}
              type="button"
              className={`button ${DANGER.has(action) ? 'button-danger' : active === action || allowed.length === 1 ? 'button-primary' : 'button-secondary'}`}
              aria-expanded={asksFirst(action) ? active === action : undefined}
              disabled={busy}
              onClick={() => open(action)}
              data-action={action}
            >
              {actionLabel(action)}
            </button>
          ))}
        </div>
      )}
      {licenceBlocksAccept && user && (
        <Notice tone="info">
          <span data-testid="licence-blocks-accept">
            {referral.recipientId === user.id
              ? user.isAdmin
                ? 'Your licence has expired, so you cannot accept referrals: renew it in your profile to accept this one.'
                : 'Your licence has expired, so you cannot accept referrals: ask your clinic admin to renew it.'
              : `${recipientParty(referral).fullName}'s licence has expired: renew it in Admin › Practitioners before accepting for them.`}
          </span>
        </Notice>
      )}
      {failure !== null && !active && <Notice tone="error">{failureText(failure)}</Notice>}
      {active && (
        <form ref={formRef} className="subform stack" onSubmit={submit} noValidate aria-label={actionLabel(active)}>
          <p className="muted">{actionHint(active)}</p>
          {active === 'start-care' && referral.appointmentAt && (
            <div tabIndex={-1} className="flash-slot" data-focus-first>
              <Notice tone="info">
                <span data-testid="care-ahead">
                  The appointment is {formatDateTimeInZone(referral.appointmentAt, appointmentZone(referral))}, still ahead. Start
                  care now only if the patient has been seen: the referring practitioner is told.
                </span>
              </Notice>
            </div>
          )}
          {changed && (
            <ChangedNotice noticeRef={noticeRef} status={referral.status} label={actionLabel(active)} offered={offered} />
          )}
          {active === 'provide-info' && question && (
            <blockquote className="quote" data-testid="info-question">
              {question}
            </blockquote>
          )}
          {/* The date first: it is what a reschedule is about. */}
          {f.appointmentAt && (
            <Field
              label="Appointment date and time"
              hint={`In ${recipientParty(referral).clinicName}'s time zone (${appointmentZone(referral).replace(/_/g, ' ')})`}
              required={f.appointmentAt === 'required'}
              error={errors.appointmentAt}
            >
              {(p) => (
                <input
                  {...p}
                  type="datetime-local"
                  name="appointmentAt"
                  min={isoToZonedInput(new Date(Date.now() + 60_000), appointmentZone(referral))}
                  value={values.appointmentAt}
                  onChange={set('appointmentAt')}
                />
              )}
            </Field>
          )}
          {f.reason &&
            (active === 'unschedule' ? (
              <fieldset
                className="fieldset"
                aria-describedby={errors.reason && values.reasonChoice !== 'other' ? 'unschedule-reason-error' : undefined}
              >
                <legend>Why did the appointment not happen?</legend>
                {[...reference.unscheduleReasons, 'other']
                  .filter((r) => r !== 'no_show' || appointmentPassed)
                  .map((r) => (
                    <label key={r} className="checkbox">
                      <input
                        type="radio"
                        name="reasonChoice"
                        value={r}
                        checked={values.reasonChoice === r}
                        onChange={set('reasonChoice')}
                        aria-invalid={errors.reason && values.reasonChoice !== 'other' ? true : undefined}
                      />
                      <span>{unscheduleReasonLabel(r)}</span>
                    </label>
                  ))}
                {values.reasonChoice === 'other' && (
                  <Field label="Reason" required error={errors.reason}>
                    {(p) => <input {...p} name="reason" value={values.reason} onChange={set('reason')} />}
                  </Field>
                )}
                {errors.reason && values.reasonChoice !== 'other' && (
                  <p className="field-error" id="unschedule-reason-error">
                    {errors.reason}
                  </p>
                )}
              </fieldset>
            ) : (
              <Field
                label={active === 'request-info' ? 'What do you need?' : 'Reason'}
                required={f.reason === 'required'}
                error={errors.reason}
              >
                {(p) => (
                  <textarea {...p} name="reason" rows={3} maxLength={2000} value={values.reason} onChange={set('reason')} />
                )}
              </Field>
            ))}
          {f.outcome && (
            <>
              <Field label="Outcome summary" required={f.outcome === 'required'} error={errors.summary}>
                {(p) => (
                  <textarea {...p} name="summary" rows={4} maxLength={10000} value={values.summary} onChange={set('summary')} />
                )}
              </Field>
              <Field label="Recommendations">
                {(p) => (
                  <textarea
                    {...p}
                    name="recommendations"
                    rows={3}
                    maxLength={10000}
                    value={values.recommendations}
                    onChange={set('recommendations')}
                  />
                )}
              </Field>
              <div className="grid-3">
                <Field label="Pain at discharge (0–10)">
                  {(p) => (
                    <select {...p} name="outcomePainLevel" value={values.painLevel} onChange={set('painLevel')}>
                      <ScoreOptions />
                    </select>
                  )}
                </Field>
                <Field label="PSFS average (0–10)" error={errors.psfs}>
                  {(p) => (
                    <input
                      {...p}
                      type="number"
                      name="psfs"
                      min={0}
                      max={10}
                      step={0.1}
                      value={values.psfs}
                      onChange={set('psfs')}
                    />
                  )}
                </Field>
                <Field label="Visits" error={errors.visits}>
                  {(p) => (
                    <input
                      {...p}
                      type="number"
                      name="visits"
                      min={0}
                      inputMode="numeric"
                      value={values.visits}
                      onChange={set('visits')}
                    />
                  )}
                </Field>
              </div>
              <label className="checkbox">
                <input
                  type="checkbox"
                  name="recommendMaintenance"
                  checked={values.recommendMaintenance}
                  onChange={(e) => setValues((v) => ({ ...v, recommendMaintenance: e.target.checked }))}
                />
                <span>Recommend maintenance massage</span>
              </label>
            </>
          )}
          {f.note && (
            <Field
              label={f.note === 'required' ? 'Note' : 'Note (optional)'}
              required={f.note === 'required'}
              error={errors.note}
            >
              {(p) => <textarea {...p} name="note" rows={3} maxLength={10000} value={values.note} onChange={set('note')} />}
            </Field>
          )}
          {failure !== null && <Notice tone="error">{failureText(failure)}</Notice>}
          <div className="actions-row">
            {offered && (
              <button
                type="submit"
                className={`button ${DANGER.has(active) ? 'button-danger' : 'button-primary'}`}
                disabled={busy}
              >
                {busy ? 'Saving…' : actionLabel(active)}
              </button>
            )}
            <button
              type="button"
              className="button button-secondary"
              onClick={() => {
                const action = active;
                setActive(null);
                // Back to the action button that opened the form, if the referral still offers it.
                focusAfter(() => buttonsRef.current?.querySelector(`[data-action="${action}"]`) ?? fallbackFocus());
              }}
              disabled={busy}
            >
              Back
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
