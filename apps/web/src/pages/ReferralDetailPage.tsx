import { useRef, useState } from 'react';
import { api, call } from '../api/client';
import { type ApiError, errorMessage } from '../api/problem';
import type { Referral, ReferralAction, ReferralEvent } from '../api/types';
import { Attachments } from '../components/Attachments';
import { ErrorPanel, Loading, Notice } from '../components/Feedback';
import { NOTIFICATIONS_CHANGED } from '../components/NotificationBell';
import { ReferralActions } from '../components/ReferralActions';
import { PriorityBadge, StatusChip } from '../components/StatusChip';
import { type Flash, takeFlash } from '../lib/flash';
import { formatAppointment, formatDate, formatDateTime, fullName } from '../lib/format';
import { useAsync, useTitle } from '../lib/hooks';
import {
  actionLabel,
  appointmentZone,
  bodyRegionLabel,
  eventLabel,
  humanize,
  kindLabel,
  recipientParty,
  redFlagLabel,
  statusLabel,
} from '../lib/labels';
import { Link } from '../lib/router';
import { useUser } from '../lib/session-hooks';

const REDIRECTABLE = new Set(['declined', 'cancelled', 'expired']);

export function ReferralDetailPage({ id }: { id: string }) {
  const user = useUser()!;
  const referral = useAsync(() => call(api.GET('/api/v1/referrals/{id}', { params: { path: { id } } })), [id]);
  const [flash, setFlashState] = useState<Flash | null>(() => takeFlash());
  const statusRef = useRef<HTMLDivElement>(null);
  useTitle(referral.data ? `Referral for ${fullName(referral.data.patient)}` : 'Referral');

  if (referral.error !== undefined && !referral.data) {
    return (
      <>
        <h1 tabIndex={-1}>Referral</h1>
        <ErrorPanel error={referral.error} title="Could not open this referral" onRetry={() => void referral.reload()} />
        <Link to="/">Back to referrals</Link>
      </>
    );
  }
  if (!referral.data) {
    return (
      <>
        <h1 tabIndex={-1}>Referral</h1>
        <Loading label="Loading the referral" lines={8} />
      </>
    );
  }

  const r = referral.data;
  const side = r.senderId === user.id ? 'sender' : r.recipientId === user.id ? 'recipient' : 'clinic';
  const announce = (next: Flash) => {
    setFlashState(next);
    requestAnimationFrame(() => statusRef.current?.focus());
  };
  const done = (updated: Referral, action: ReferralAction) => {
    referral.setData(updated);
    announce({
      tone: 'success',
      text: `${actionLabel(action)}: done. The referral is now ${statusLabel(updated.status).toLowerCase()}.`,
    });
    window.dispatchEvent(new Event(NOTIFICATIONS_CHANGED));
  };
  const conflict = async (error: ApiError) => {
    await referral.reload();
    announce({
      tone: 'info',
      text:
        error.code === 'stale_version'
          ? 'This referral changed — here is the new state. Check it, then act again if you still need to.'
          : `This referral changed — here is the new state. ${error.message}`,
    });
  };

  const partyName = (actorId: string | null) =>
    actorId === null
      ? 'ReferLoop (automatic)'
      : actorId === r.senderId
        ? r.sender.fullName
        : actorId === r.recipientId
          ? recipientParty(r).fullName
          : 'Clinic admin';

  return (
    <>
      <div className="page-head">
        <div>
          <p className="muted small">
            <Link to="/">Referrals</Link> / {kindLabel(r.kind)}
          </p>
          <h1 tabIndex={-1}>Referral for {fullName(r.patient)}</h1>
        </div>
        <span className="chips chips-large" data-testid="referral-status">
          <StatusChip status={r.status} />
          <PriorityBadge priority={r.priority} />
        </span>
      </div>

      <div ref={statusRef} tabIndex={-1} className="flash-slot" aria-live="polite">
        {flash && (
          <Notice tone={flash.tone} role={flash.tone === 'error' ? 'alert' : 'status'}>
            {flash.text}
          </Notice>
        )}
      </div>

      <div className="detail-grid">
        <div className="detail-column">
          <section className="card detail-referral" aria-labelledby="referral-heading">
            <h2 id="referral-heading">Referral</h2>
            <dl className="facts">
              <dt>From</dt>
              <dd>
                {r.sender.fullName} <span className="muted">· {r.sender.clinicName}</span>
              </dd>
              <dt>To</dt>
              <dd>
                {r.recipient ? (
                  <>
                    {r.recipient.fullName} <span className="muted">· {r.recipient.clinicName}</span>
                  </>
                ) : (
                  <PendingInvite referral={r} onResent={(updated) => referral.setData(updated)} />
                )}
              </dd>
              <dt>Reason</dt>
              <dd className="prewrap">{r.reason}</dd>
              {r.bodyRegions.length > 0 && (
                <>
                  <dt>Body regions</dt>
                  <dd>{r.bodyRegions.map(bodyRegionLabel).join(', ')}</dd>
                </>
              )}
              {r.observations && (
                <>
                  <dt>{r.kind === 'maintenance_massage' ? 'Notes' : 'Observations'}</dt>
                  <dd className="prewrap">{r.observations}</dd>
                </>
              )}
              {r.painLevel !== null && (
                <>
                  <dt>Pain level</dt>
                  <dd>{r.painLevel} / 10</dd>
                </>
              )}
              {r.onsetDate && (
                <>
                  <dt>Onset</dt>
                  <dd>{formatDate(r.onsetDate)}</dd>
                </>
              )}
              {r.neededBy && (
                <>
                  <dt>Needed by</dt>
                  <dd>{formatDate(r.neededBy)}</dd>
                </>
              )}
              {r.redFlags.length > 0 && (
                <>
                  <dt>Red flags</dt>
                  <dd className="text-danger">{r.redFlags.map(redFlagLabel).join('; ')}</dd>
                </>
              )}
              {r.appointmentAt && (
                <>
                  <dt>Appointment</dt>
                  <dd data-testid="appointment">
                    {formatAppointment(r.appointmentAt, appointmentZone(r), recipientParty(r).clinicName)}
                  </dd>
                </>
              )}
              <dt>Sent</dt>
              <dd>{r.sentAt ? formatDateTime(r.sentAt) : 'Not yet (draft)'}</dd>
            </dl>
            {r.plan && (
              <div className="subsection">
                <h3>Maintenance plan</h3>
                <dl className="facts">
                  <dt>Frequency</dt>
                  <dd>Every {r.plan.frequencyWeeks === 1 ? 'week' : `${r.plan.frequencyWeeks} weeks`}</dd>
                  <dt>Sessions</dt>
                  <dd>{r.plan.sessions ?? 'Ongoing'}</dd>
                  <dt>Focus areas</dt>
                  <dd>{r.plan.focusAreas.length ? r.plan.focusAreas.map(bodyRegionLabel).join(', ') : '—'}</dd>
                  <dt>Precautions</dt>
                  <dd className="prewrap">{r.plan.precautions || '—'}</dd>
                </dl>
              </div>
            )}
            {r.outcome && (
              <div className="subsection outcome" data-testid="outcome">
                <h3>Outcome</h3>
                <p className="prewrap">{r.outcome.summary}</p>
                {r.outcome.recommendations && (
                  <p className="prewrap">
                    <strong>Recommendations:</strong> {r.outcome.recommendations}
                  </p>
                )}
                <p className="muted small">Sent {formatDateTime(r.outcome.sentAt)}</p>
              </div>
            )}
          </section>

          <section className="card detail-timeline" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">Timeline</h2>
            <Timeline
              events={r.timeline ?? []}
              partyName={partyName}
              appointmentAt={(at) => formatAppointment(at, appointmentZone(r), recipientParty(r).clinicName)}
            />
          </section>
        </div>

        <div className="detail-column">
          <section className="card detail-actions" aria-labelledby="actions-heading">
            <h2 id="actions-heading">What you can do</h2>
            <p className="muted small">
              {side === 'sender'
                ? 'You sent this referral.'
                : side === 'recipient'
                  ? 'This referral was sent to you.'
                  : 'You act for your clinic.'}
            </p>
            <ReferralActions referral={r} onDone={done} onConflict={(e) => void conflict(e)} />
            {REDIRECTABLE.has(r.status) && side === 'sender' && (
              <p>
                <Link to={`/referrals/new?replaces=${r.id}`} className="button button-secondary">
                  Redirect to another practitioner
                </Link>
              </p>
            )}
          </section>

          <section className="card detail-patient" aria-labelledby="patient-summary-heading">
            <h2 id="patient-summary-heading">Patient</h2>
            <dl className="facts">
              <dt>Name</dt>
              <dd>{fullName(r.patient)}</dd>
              <dt>Date of birth</dt>
              <dd>{formatDate(r.patient.dateOfBirth)}</dd>
              <dt>Email</dt>
              <dd>{r.patient.email ?? '—'}</dd>
              <dt>Phone</dt>
              <dd>{r.patient.phone ?? '—'}</dd>
              <dt>Prefers</dt>
              <dd>{r.patient.preferredContact === 'sms' ? 'SMS' : humanize(r.patient.preferredContact)}</dd>
            </dl>
          </section>

          <section className="card detail-attachments" aria-labelledby="attachments-heading">
            <h2 id="attachments-heading">Attachments</h2>
            <Attachments
              referralId={r.id}
              attachments={r.attachments ?? []}
              canUpload={r.status === 'draft' && r.allowedActions.includes('send')}
              onUploaded={() => void referral.reload()}
            />
          </section>
        </div>
      </div>
    </>
  );
}

function Timeline({
  events,
  partyName,
  appointmentAt,
}: {
  events: ReferralEvent[];
  partyName: (id: string | null) => string;
  /** An appointment time as the referral shows it: in the zone where it happens. */
  appointmentAt: (iso: string) => string;
}) {
  if (events.length === 0) return <p className="muted">No events yet.</p>;
  return (
    <ol className="timeline" data-testid="timeline">
      {events.map((e) => {
        const appointment = typeof e.data?.appointmentAt === 'string' ? e.data.appointmentAt : null;
        return (
          <li key={e.id} className="timeline-item" data-event={e.type}>
            <div className="timeline-head">
              <span className="timeline-title">{eventLabel(e.type)}</span>
              <time dateTime={e.occurredAt} className="muted small">
                {formatDateTime(e.occurredAt)}
              </time>
            </div>
            <p className="muted small">
              {partyName(e.actorId)}
              {e.fromStatus && e.fromStatus !== e.toStatus ? ` · ${statusLabel(e.fromStatus)} → ${statusLabel(e.toStatus)}` : ''}
            </p>
            {appointment && <p>Appointment: {appointmentAt(appointment)}</p>}
            {e.reason && <p className="prewrap">Reason: {/^[a-z_]+$/.test(e.reason) ? humanize(e.reason) : e.reason}</p>}
            {e.note && <p className="prewrap">{e.note}</p>}
          </li>
        );
      })}
    </ol>
  );
}

/**
 * The sender's view of a recipient not on ReferLoop yet: who was invited, the join link to hand
 * over (phone, fax, letter), and a new link by email (the previous one stops working).
 */
function PendingInvite({ referral, onResent }: { referral: Referral; onResent: (updated: Referral) => void }) {
  const invite = referral.recipientInvite;
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  if (!invite) return <span className="muted">An invited practitioner</span>;
  const resend = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const updated = await call(api.POST('/api/v1/referrals/{id}/resend-invite', { params: { path: { id: referral.id } } }));
      onResent(updated);
      setMessage(referral.sentAt ? 'A new invitation was emailed; the previous link no longer works.' : 'A new link was made.');
    } catch (error) {
      setMessage(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div data-testid="pending-invite">
      <p>
        Waiting for {invite.fullName} to join <span className="muted">· {invite.email}</span>
      </p>
      {invite.url && (
        <>
          <label htmlFor="invite-link">Join link to hand over</label>
          <input id="invite-link" type="text" readOnly value={invite.url} onFocus={(e) => e.currentTarget.select()} />
        </>
      )}
      <button type="button" className="secondary" disabled={busy} onClick={() => void resend()}>
        Resend invitation
      </button>
      <p role="status">{message}</p>
    </div>
  );
}
