import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { ApiError, errorMessage } from '../api/problem';
import type { BodyRegion, CreateReferral, Patient, Practitioner, Priority, RedFlag, Referral } from '../api/types';
import { DirectorySearch } from '../components/DirectorySearch';
import { CheckboxGroup, Field } from '../components/Field';
import { ErrorPanel, Notice } from '../components/Feedback';
import { PatientPicker, sharingConsent } from '../components/PatientPicker';
import { setFlash } from '../lib/flash';
import { localDate } from '../lib/format';
import { useTitle } from '../lib/hooks';
import { bodyRegionLabel, recipientParty, redFlagLabel } from '../lib/labels';
import { Link, navigate, useLocation } from '../lib/router';
import { isPractitioner, useReferenceData, useUser } from '../lib/session-hooks';

interface Details {
  reason: string;
  bodyRegions: BodyRegion[];
  observations: string;
  painLevel: string;
  onsetDate: string;
  neededBy: string;
  redFlags: RedFlag[];
  priority: Priority;
  frequencyWeeks: string;
  sessions: string;
  focusAreas: BodyRegion[];
  precautions: string;
}

const EMPTY: Details = {
  reason: '',
  bodyRegions: [],
  observations: '',
  painLevel: '',
  onsetDate: '',
  neededBy: '',
  redFlags: [],
  priority: 'routine',
  frequencyWeeks: '2',
  sessions: '',
  focusAreas: [],
  precautions: '',
};

type Errors = Partial<
  Record<
    | 'patient'
    | 'recipient'
    | 'inviteEmail'
    | 'inviteName'
    | 'reason'
    | 'painLevel'
    | 'onsetDate'
    | 'neededBy'
    | 'frequencyWeeks'
    | 'sessions'
    | 'form',
    string
  >
>;

export function NewReferralPage() {
  const user = useUser()!;
  const reference = useReferenceData();
  const { query } = useLocation();
  const replacesId = query.get('replaces');
  const maintenance = user.role === 'physical_therapist';
  const kind = maintenance ? 'maintenance_massage' : 'injury_care';
  const recipientType = maintenance ? 'massage_therapist' : 'physical_therapist';
  useTitle(maintenance ? 'New maintenance referral' : 'New referral');

  const [patient, setPatient] = useState<Patient | null>(null);
  const [recipient, setRecipient] = useState<Practitioner | null>(null);
  // Someone not on ReferLoop: invited by email when the referral is sent.
  const [inviting, setInviting] = useState(false);
  const [invite, setInvite] = useState({ email: '', fullName: '' });
  const [details, setDetails] = useState<Details>(EMPTY);
  const [replaced, setReplaced] = useState<Referral | null>(null);
  const [errors, setErrors] = useState<Errors>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState<'send' | 'draft' | null>(null);
  const idempotency = useRef<{ key: string; body: string } | null>(null);
  const summaryRef = useRef<HTMLDivElement>(null);

  // Redirecting a declined, cancelled or expired referral: start from its patient and details.
  useEffect(() => {
    if (!replacesId) return;
    void (async () => {
      try {
        const old = await call(api.GET('/api/v1/referrals/{id}', { params: { path: { id: replacesId } } }));
        setReplaced(old);
        setPatient(await call(api.GET('/api/v1/patients/{id}', { params: { path: { id: old.patientId } } })));
        setDetails((d) => ({
          ...d,
          reason: old.reason,
          bodyRegions: old.bodyRegions as BodyRegion[],
          observations: old.observations ?? '',
          painLevel: old.painLevel === null ? '' : String(old.painLevel),
          onsetDate: old.onsetDate ?? '',
          redFlags: old.redFlags as RedFlag[],
          priority: old.priority as Priority,
          ...(old.plan
            ? {
                frequencyWeeks: String(old.plan.frequencyWeeks),
                sessions: old.plan.sessions ? String(old.plan.sessions) : '',
                focusAreas: old.plan.focusAreas,
                precautions: old.plan.precautions,
              }
            : {}),
        }));
      } catch (e) {
        setFailure(e);
      }
    })();
  }, [replacesId]);

  if (!isPractitioner(user)) {
    return (
      <>
        <h1 tabIndex={-1}>New referral</h1>
        <Notice tone="info">
          Referrals are written by the practitioner who sends them. Open one from the clinic box to act on it.
        </Notice>
      </>
    );
  }

  const urgentRequired = details.redFlags.length > 0;
  const priority: Priority = urgentRequired ? 'urgent' : details.priority;
  const set = <K extends keyof Details>(key: K, value: Details[K]) => setDetails((d) => ({ ...d, [key]: value }));

  const validate = (): Errors => {
    const next: Errors = {};
    if (!patient) next.patient = 'Choose or add the patient.';
    if (inviting) {
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(invite.email.trim()))
        next.inviteEmail = 'Enter an email address like name@example.com.';
      if (!invite.fullName.trim()) next.inviteName = 'Fill this in.';
    } else if (!recipient) next.recipient = `Choose the ${maintenance ? 'massage therapist' : 'physical therapist'} to refer to.`;
    if (!details.reason.trim()) next.reason = 'Say why you are referring the patient.';
    if (details.onsetDate && details.onsetDate > localDate()) next.onsetDate = 'The onset cannot be in the future.';
    if (details.neededBy && details.neededBy <= localDate()) next.neededBy = 'Choose a date after today.';
    if (maintenance) {
      const weeks = Number(details.frequencyWeeks);
      if (!Number.isInteger(weeks) || weeks < 1 || weeks > 52) next.frequencyWeeks = 'Every 1 to 52 weeks.';
      if (
        details.sessions &&
        !(Number.isInteger(Number(details.sessions)) && Number(details.sessions) >= 1 && Number(details.sessions) <= 100)
      ) {
        next.sessions = 'Between 1 and 100 sessions, or leave it empty.';
      }
    }
    return next;
  };

  const body = (): CreateReferral => ({
    kind,
    patientId: patient!.id,
    ...(inviting
      ? { recipientInvite: { email: invite.email.trim(), fullName: invite.fullName.trim(), role: recipientType } }
      : { recipientId: recipient!.id }),
    priority,
    reason: details.reason.trim(),
    bodyRegions: details.bodyRegions,
    observations: details.observations.trim() || undefined,
    painLevel: details.painLevel === '' ? undefined : Number(details.painLevel),
    onsetDate: details.onsetDate || undefined,
    neededBy: details.neededBy || undefined,
    redFlags: details.redFlags,
    plan: maintenance
      ? {
          frequencyWeeks: Number(details.frequencyWeeks),
          sessions: details.sessions ? Number(details.sessions) : undefined,
          focusAreas: details.focusAreas,
          precautions: details.precautions.trim(),
        }
      : undefined,
    replacesId: replacesId ?? undefined,
  });

  const submit = async (event: FormEvent, send: boolean) => {
    event.preventDefault();
    const found = validate();
    setErrors(found);
    setFailure(null);
    if (Object.keys(found).length > 0) {
      requestAnimationFrame(() => summaryRef.current?.focus());
      return;
    }
    setBusy(send ? 'send' : 'draft');
    const payload = body();
    const serialized = JSON.stringify(payload);
    // The same body retried (a lost answer) keeps its Idempotency-Key: one referral, never two.
    if (idempotency.current?.body !== serialized) idempotency.current = { key: crypto.randomUUID(), body: serialized };
    let created: Referral;
    try {
      created = await call(
        api.POST('/api/v1/referrals', { body: payload, params: { header: { 'Idempotency-Key': idempotency.current.key } } }),
      );
    } catch (e) {
      setBusy(null);
      setFailure(e);
      if (e instanceof ApiError) {
        setErrors({
          reason: e.fieldMessage('reason'),
          painLevel: e.fieldMessage('painLevel'),
          onsetDate: e.fieldMessage('onsetDate'),
          neededBy: e.fieldMessage('neededBy'),
          frequencyWeeks: e.fieldMessage('plan.frequencyWeeks'),
          sessions: e.fieldMessage('plan.sessions'),
        });
      }
      requestAnimationFrame(() => summaryRef.current?.focus());
      return;
    }
    if (send) {
      try {
        await call(
          api.POST('/api/v1/referrals/{id}/{action}', {
            params: { path: { id: created.id, action: 'send' } },
            body: { version: created.version },
          }),
        );
        setFlash({
          tone: 'success',
          text: inviting
            ? `Referral sent: ${invite.fullName.trim()} was emailed an invitation to join ReferLoop.`
            : `Referral sent to ${recipient!.fullName}.`,
        });
      } catch (e) {
        setFlash({ tone: 'error', text: `The referral was saved as a draft but not sent: ${errorMessage(e)}` });
      }
    } else {
      setFlash({ tone: 'success', text: 'Draft saved. Add attachments, then send it when ready.' });
    }
    navigate(`/referrals/${created.id}`);
  };

  const errorList = Object.entries(errors).filter(([, message]) => message);

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>{maintenance ? 'New maintenance-massage referral' : 'New injury referral'}</h1>
        <Link to="/">Back to referrals</Link>
      </div>
      {replaced && (
        <Notice tone="info">
          Redirecting the {replaced.status} referral to {recipientParty(replaced).fullName}: choose another recipient.
        </Notice>
      )}
      <div ref={summaryRef} tabIndex={-1} className="summary-anchor">
        {(errorList.length > 0 || failure !== null) && (
          <div className="panel panel-error" role="alert">
            <p className="panel-title">The referral cannot be saved yet</p>
            <ul>
              {errorList.map(([field, message]) => (
                <li key={field}>{message}</li>
              ))}
              {failure !== null && errorList.length === 0 && <li>{errorMessage(failure)}</li>}
            </ul>
          </div>
        )}
      </div>

      <section className="card" aria-labelledby="patient-heading">
        <h2 id="patient-heading">
          <span className="step">1</span> Patient
        </h2>
        <PatientPicker selected={patient} onSelect={setPatient} error={errors.patient} />
      </section>

      <section className="card" aria-labelledby="recipient-heading">
        <h2 id="recipient-heading">
          <span className="step">2</span> {maintenance ? 'Massage therapist' : 'Physical therapist'}
        </h2>
        {inviting ? (
          <div className="stack">
            <Field label="Their email" required error={errors.inviteEmail}>
              {(p) => (
                <input
                  {...p}
                  type="email"
                  autoComplete="off"
                  value={invite.email}
                  onChange={(e) => setInvite((i) => ({ ...i, email: e.target.value }))}
                />
              )}
            </Field>
            <Field label="Their full name" required error={errors.inviteName}>
              {(p) => (
                <input {...p} value={invite.fullName} onChange={(e) => setInvite((i) => ({ ...i, fullName: e.target.value }))} />
              )}
            </Field>
            <p className="hint">
              Sending emails them an invitation to join (nothing about the patient); the referral is theirs once they join.
            </p>
            <button type="button" className="link-button" onClick={() => setInviting(false)}>
              Choose from the directory instead
            </button>
          </div>
        ) : (
          <>
            <DirectorySearch type={recipientType} selected={recipient} onSelect={setRecipient} error={errors.recipient} />
            <button type="button" className="link-button" onClick={() => setInviting(true)}>
              Not on ReferLoop? Invite them
            </button>
          </>
        )}
      </section>

      <form className="card stack" onSubmit={(e) => void submit(e, true)} noValidate aria-labelledby="details-heading">
        <h2 id="details-heading">
          <span className="step">3</span> Referral
        </h2>
        <Field label="Reason for referral" required error={errors.reason} hint="What the recipient needs to know first.">
          {(p) => (
            <textarea
              {...p}
              name="reason"
              rows={2}
              maxLength={2000}
              value={details.reason}
              onChange={(e) => set('reason', e.target.value)}
            />
          )}
        </Field>
        <CheckboxGroup
          legend="Body regions"
          name="bodyRegions"
          options={reference.bodyRegions}
          value={details.bodyRegions}
          onChange={(v) => set('bodyRegions', v as BodyRegion[])}
          label={bodyRegionLabel}
          columns={3}
        />
        <Field
          label={maintenance ? 'Notes for the massage therapist' : 'Observations'}
          hint={maintenance ? undefined : 'What you saw or felt: document observations, not a diagnosis.'}
        >
          {(p) => (
            <textarea
              {...p}
              name="observations"
              rows={4}
              maxLength={10000}
              value={details.observations}
              onChange={(e) => set('observations', e.target.value)}
            />
          )}
        </Field>
        <div className="grid-3">
          <Field label="Pain level (0–10)" error={errors.painLevel}>
            {(p) => (
              <select {...p} name="painLevel" value={details.painLevel} onChange={(e) => set('painLevel', e.target.value)}>
                <option value="">Not recorded</option>
                {Array.from({ length: 11 }, (_, i) => (
                  <option key={i} value={String(i)}>
                    {i}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Onset date" error={errors.onsetDate}>
            {(p) => (
              <input
                {...p}
                type="date"
                name="onsetDate"
                max={localDate()}
                value={details.onsetDate}
                onChange={(e) => set('onsetDate', e.target.value)}
              />
            )}
          </Field>
          <Field label="Needed by" error={errors.neededBy}>
            {(p) => (
              <input
                {...p}
                type="date"
                name="neededBy"
                min={localDate(1)}
                value={details.neededBy}
                onChange={(e) => set('neededBy', e.target.value)}
              />
            )}
          </Field>
        </div>

        <CheckboxGroup
          legend="Red flags"
          name="redFlags"
          hint="Tick any sign you noticed. Any red flag makes the referral urgent."
          options={reference.redFlags}
          value={details.redFlags}
          onChange={(v) => set('redFlags', v as RedFlag[])}
          label={redFlagLabel}
        />
        <div className="red-flag-slot" aria-live="polite">
          {urgentRequired && (
            <div className="panel panel-warning" data-testid="red-flag-guidance">
              <p className="panel-title">This referral must be urgent</p>
              <p>{reference.redFlagGuidance}</p>
            </div>
          )}
        </div>

        <fieldset className="fieldset" aria-describedby={urgentRequired ? 'priority-locked' : undefined}>
          <legend>Priority</legend>
          <div className="inline-options">
            {reference.priorities.map((p) => (
              <label key={p} className="checkbox">
                <input
                  type="radio"
                  name="priority"
                  value={p}
                  checked={priority === p}
                  disabled={urgentRequired && p !== 'urgent'}
                  onChange={() => set('priority', p)}
                />
                <span>{p === 'urgent' ? 'Urgent' : 'Routine'}</span>
              </label>
            ))}
          </div>
          {urgentRequired && (
            <p className="hint" id="priority-locked">
              Set to urgent because a red flag is ticked.
            </p>
          )}
        </fieldset>

        {maintenance && (
          <fieldset className="fieldset stack" aria-describedby="plan-hint">
            <legend>Maintenance plan</legend>
            <p className="hint" id="plan-hint">
              How the massage therapist should carry on after discharge.
            </p>
            <div className="grid-3">
              <Field label="Every (weeks)" required error={errors.frequencyWeeks}>
                {(p) => (
                  <input
                    {...p}
                    type="number"
                    name="frequencyWeeks"
                    min={1}
                    max={52}
                    inputMode="numeric"
                    value={details.frequencyWeeks}
                    onChange={(e) => set('frequencyWeeks', e.target.value)}
                  />
                )}
              </Field>
              <Field label="Sessions" hint="Leave empty for ongoing." error={errors.sessions}>
                {(p) => (
                  <input
                    {...p}
                    type="number"
                    name="sessions"
                    min={1}
                    max={100}
                    inputMode="numeric"
                    value={details.sessions}
                    onChange={(e) => set('sessions', e.target.value)}
                  />
                )}
              </Field>
            </div>
            <CheckboxGroup
              legend="Focus areas"
              name="focusAreas"
              options={reference.bodyRegions}
              value={details.focusAreas}
              onChange={(v) => set('focusAreas', v as BodyRegion[])}
              label={bodyRegionLabel}
              columns={3}
            />
            <Field label="Precautions" hint="What the massage therapist must avoid or watch for.">
              {(p) => (
                <textarea
                  {...p}
                  name="precautions"
                  rows={3}
                  maxLength={2000}
                  value={details.precautions}
                  onChange={(e) => set('precautions', e.target.value)}
                />
              )}
            </Field>
          </fieldset>
        )}

        {patient && !sharingConsent(patient) && (
          <Notice tone="warning">
            Record the patient’s consent to sharing (step 1) before sending; you can still save a draft.
          </Notice>
        )}
        {failure !== null && !(failure instanceof ApiError && failure.status === 400) && (
          <ErrorPanel error={failure} title="Not saved" />
        )}
        <div className="actions-row">
          <button type="submit" className="button button-primary" disabled={busy !== null}>
            {busy === 'send' ? 'Sending…' : 'Send referral'}
          </button>
          <button
            type="button"
            className="button button-secondary"
            disabled={busy !== null}
            onClick={(e) => void submit(e, false)}
          >
            {busy === 'draft' ? 'Saving…' : 'Save as draft'}
          </button>
          <span className="muted small">Attachments can be added to a draft before it is sent.</span>
        </div>
      </form>
    </>
  );
}
