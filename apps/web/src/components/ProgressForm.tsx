import { type FormEvent, useEffect, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { ApiError, errorMessage } from '../api/problem';
import type { Referral, ReferralAction } from '../api/types';
import { everyPage, useEarlierItems } from '../lib/earlier';
import { firstInvalid, useFocusAfterRender } from '../lib/focus';
import { formatDateTime, formatDayOf } from '../lib/format';
import { toleranceLabel } from '../lib/labels';
import { useLeaveGuard } from '../lib/leave-guard';
import { useLostAnswer } from '../lib/lost-answer';
import { useUser } from '../lib/session-hooks';
import { Field, ScoreOptions } from './Field';
import { Notice } from './Feedback';
import type { MeasurePoint } from './MeasuresChart';
import { ChangedNotice, useChangedWhileOpen } from './ReferralActions';
import { ShowEarlier } from './ShowEarlier';

type Progress = NonNullable<Referral['progress']>[number];
type Tolerance = Progress['tolerance'];
const TOLERANCES: Tolerance[] = ['well', 'some_soreness', 'adverse'];

/** Every progress report of the referral, oldest first, paged from GET /referrals/:id/progress (its answer embeds only the latest). */
const loadAllProgress = (referralId: string): Promise<Progress[]> =>
  everyPage((cursor) =>
    call(api.GET('/api/v1/referrals/{id}/progress', { params: { path: { id: referralId }, query: { limit: 100, cursor } } })),
  );

/** The progress reports as points of the pain/PSFS chart, oldest first. */
export function progressPoints(progress: Referral['progress']): MeasurePoint[] {
  return (progress ?? []).map((p) => ({ label: `Progress ${formatDayOf(p.reportedAt)}`, painLevel: p.painLevel, psfs: p.psfs }));
}

interface Props {
  referral: Referral;
  /** A report is on its way: what the page said about the last action no longer applies. */
  onStart: () => void;
  onDone: (updated: Referral, action: ReferralAction) => void;
  /** The referral changed under us (409): reload and say so. */
  onConflict: (error: ApiError) => void;
  /** Where focus goes when the form closes and Report progress is no longer offered. */
  fallbackFocus: () => HTMLElement | null;
}

interface Values {
  sessionsCompleted: string;
  painLevel: string;
  psfs: string;
  tolerance: string;
  note: string;
}
const EMPTY: Values = { sessionsCompleted: '', painLevel: '', psfs: '', tolerance: '', note: '' };
type Errors = Partial<Record<keyof Values, string>>;
/** What a report sends (the `progress` of its body). */
interface Report {
  sessionsCompleted: number;
  painLevel?: number;
  psfs?: number;
  tolerance: Tolerance;
  note?: string;
}

/**
 * Progress (SPEC "Progress"): the reports so far, for both sides, and for the recipient a form to
 * report sessions, pain, PSFS and tolerance (`report-progress`). Shown once there is something to
 * show or to report.
 */
export function ProgressSection({ referral, onStart, onDone, onConflict, fallbackFocus }: Props) {
  const listRef = useRef<HTMLOListElement>(null);
  const {
    items: progress,
    complete,
    loading,
    loadError,
    showEarlier,
  } = useEarlierItems(referral.progress ?? [], referral.progressTruncated ?? false, () => loadAllProgress(referral.id), listRef);
  const canReport = referral.allowedActions.includes('report-progress');
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState<Values>(EMPTY);
  const [errors, setErrors] = useState<Errors>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const openRef = useRef<HTMLButtonElement>(null);
  const focusAfter = useFocusAfterRender();
  const { changed, setChanged, formRef, noticeRef } = useChangedWhileOpen(referral.version, open, canReport);
  const userId = useUser()?.id;
  const sent = (updated: Referral) => {
    onDone(updated, 'report-progress');
    // Sent: the form closes, and opens empty next time.
    setOpen(false);
    setValues(EMPTY);
    setErrors({});
  };
  /** A report whose answer was lost counts as sent once the referral shows a new report of this user with its figures. */
  const sendOnce = useLostAnswer<Report>(referral, values, {
    known: (r) => (r.progress ?? []).map((p) => p.id),
    shows: (current, report, before) =>
      (current.progress ?? []).some(
        (p) =>
          !before.has(p.id) &&
          p.reportedBy.id === userId &&
          p.sessionsCompleted === report.sessionsCompleted &&
          p.painLevel === (report.painLevel ?? null) &&
          p.psfs === (report.psfs ?? null) &&
          p.tolerance === report.tolerance &&
          p.note === (report.note ?? null),
      ),
    onLanded: sent,
  });
  // What was said about an earlier attempt is old news once the referral has changed.
  useEffect(() => setFailure(null), [referral.version]);
  // Leaving the page with a report typed in the open form, not sent, asks first.
  useLeaveGuard(open && JSON.stringify(values) !== JSON.stringify(EMPTY));

  // An open form stays, also once reporting is no longer offered: what was typed in it is kept.
  if (progress.length === 0 && !canReport && !open) return null;

  const set = (key: keyof Values) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [key]: e.target.value }));

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!canReport) return;
    const found: Errors = {};
    const sessions = Number(values.sessionsCompleted);
    const psfs = Number(values.psfs);
    if (values.sessionsCompleted === '' || !Number.isInteger(sessions) || sessions < 0)
      found.sessionsCompleted = 'A whole number of sessions, 0 or more.';
    if (values.psfs !== '' && !(psfs >= 0 && psfs <= 10)) found.psfs = 'A score from 0 to 10.';
    if (!values.tolerance) found.tolerance = 'Choose how the client tolerated the sessions.';
    setErrors(found);
    if (Object.keys(found).length > 0) {
      focusAfter(() => firstInvalid(formRef.current));
      return;
    }
    setBusy(true);
    setFailure(null);
    onStart();
    const report: Report = {
      sessionsCompleted: sessions,
      painLevel: values.painLevel === '' ? undefined : Number(values.painLevel),
      psfs: values.psfs === '' ? undefined : psfs,
      tolerance: values.tolerance as Tolerance,
      note: values.note.trim() || undefined,
    };
    try {
      const updated = await sendOnce(report, () =>
        call(
          api.POST('/api/v1/referrals/{id}/{action}', {
            params: { path: { id: referral.id, action: 'report-progress' } },
            body: { version: referral.version, progress: report },
          }),
        ),
      );
      sent(updated);
    } catch (e) {
      if (e instanceof ApiError && (e.code === 'stale_version' || e.code === 'invalid_transition')) onConflict(e);
      else {
        setFailure(e);
        if (e instanceof ApiError) {
          setErrors({
            sessionsCompleted: e.fieldMessage('progress.sessionsCompleted'),
            painLevel: e.fieldMessage('progress.painLevel'),
            psfs: e.fieldMessage('progress.psfs'),
            tolerance: e.fieldMessage('progress.tolerance'),
            note: e.fieldMessage('progress.note'),
          });
          focusAfter(() => firstInvalid(formRef.current));
        }
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card detail-progress" aria-labelledby="progress-heading" data-testid="progress">
      <h2 id="progress-heading">Progress</h2>
      {!complete && (
        <ShowEarlier noun="reports" testId="progress-earlier" loading={loading} loadError={loadError} onShow={showEarlier} />
      )}
      {progress.length === 0 ? (
        <p className="muted">No progress reported yet.</p>
      ) : (
        <ol
          className="progress-list"
          data-testid="progress-list"
          aria-label="Progress reports, oldest first"
          ref={listRef}
          tabIndex={-1}
        >
          {progress.map((p) => (
            <li key={p.id} className="progress-item">
              <p className="muted small">
                <time dateTime={p.reportedAt}>{formatDateTime(p.reportedAt)}</time> · {p.reportedBy.fullName}
              </p>
              <dl className="facts">
                <dt>Sessions</dt>
                <dd>{p.sessionsCompleted}</dd>
                <dt>Pain</dt>
                <dd>{p.painLevel === null ? '—' : `${p.painLevel} / 10`}</dd>
                <dt>PSFS</dt>
                <dd>{p.psfs === null ? '—' : `${p.psfs} / 10`}</dd>
                <dt>Tolerance</dt>
                <dd className={p.tolerance === 'adverse' ? 'text-danger' : undefined}>{toleranceLabel(p.tolerance)}</dd>
              </dl>
              {p.note && <p className="prewrap">{p.note}</p>}
            </li>
          ))}
        </ol>
      )}
      {canReport && !open && (
        <button
          ref={openRef}
          type="button"
          className="button button-secondary"
          onClick={() => {
            setChanged(false);
            setOpen(true);
            // The button gives way to the form: start on its first field.
            focusAfter(() => formRef.current?.querySelector('input, select, textarea'));
          }}
          aria-expanded={false}
        >
          Report progress
        </button>
      )}
      {open && (
        <form ref={formRef} className="subform stack" onSubmit={(e) => void submit(e)} noValidate aria-label="Report progress">
          <p className="muted">Tell the referring practitioner how the sessions are going.</p>
          {changed && (
            <ChangedNotice noticeRef={noticeRef} status={referral.status} label="Report progress" offered={canReport} />
          )}
          <div className="grid-3">
            <Field label="Sessions completed" required error={errors.sessionsCompleted}>
              {(p) => (
                <input
                  {...p}
                  type="number"
                  name="sessionsCompleted"
                  min={0}
                  inputMode="numeric"
                  value={values.sessionsCompleted}
                  onChange={set('sessionsCompleted')}
                />
              )}
            </Field>
            <Field label="Pain today (0–10)" error={errors.painLevel}>
              {(p) => (
                <select {...p} name="progressPainLevel" value={values.painLevel} onChange={set('painLevel')}>
                  <ScoreOptions />
                </select>
              )}
            </Field>
            <Field label="PSFS average (0–10)" error={errors.psfs}>
              {(p) => (
                <input
                  {...p}
                  type="number"
                  name="progressPsfs"
                  min={0}
                  max={10}
                  step={0.1}
                  value={values.psfs}
                  onChange={set('psfs')}
                />
              )}
            </Field>
          </div>
          <fieldset className="fieldset" aria-describedby={errors.tolerance ? 'tolerance-error' : undefined}>
            <legend>
              Tolerance{' '}
              <span className="required" aria-hidden="true">
                *
              </span>
            </legend>
            {TOLERANCES.map((t) => (
              <label key={t} className="checkbox">
                <input
                  type="radio"
                  name="tolerance"
                  value={t}
                  checked={values.tolerance === t}
                  onChange={set('tolerance')}
                  aria-invalid={errors.tolerance ? true : undefined}
                />
                <span>{toleranceLabel(t)}</span>
              </label>
            ))}
            {errors.tolerance && (
              <p className="field-error" id="tolerance-error">
                {errors.tolerance}
              </p>
            )}
          </fieldset>
          <Field label="Note (optional)" error={errors.note}>
            {(p) => <textarea {...p} name="progressNote" rows={3} maxLength={10000} value={values.note} onChange={set('note')} />}
          </Field>
          {failure !== null && <Notice tone="error">{errorMessage(failure)}</Notice>}
          <div className="actions-row">
            {canReport && (
              <button type="submit" className="button button-primary" disabled={busy}>
                {busy ? 'Saving…' : 'Send progress report'}
              </button>
            )}
            <button
              type="button"
              className="button button-secondary"
              onClick={() => {
                setOpen(false);
                focusAfter(() => openRef.current ?? fallbackFocus());
              }}
              disabled={busy}
            >
              Back
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
