import { useEffect, useRef, useState } from 'react';
import { api, call } from '../api/client';
import { ApiError, errorMessage } from '../api/problem';
import type { Referral, ReferralAction, ReferralEvent, User } from '../api/types';
import { ReferralAttachments } from '../components/Attachments';
import { Conversation } from '../components/Conversation';
import { CopyLink } from '../components/CopyLink';
import { DraftPanel } from '../components/DraftPanel';
import { ErrorPanel, Loading, Notice } from '../components/Feedback';
import { NOTIFICATIONS_CHANGED } from '../components/NotificationBell';
import { MeasuresChart } from '../components/MeasuresChart';
import { ProgressSection, progressPoints } from '../components/ProgressForm';
import { buttonActions, ReferralActions } from '../components/ReferralActions';
import { ReferralPrint } from '../components/ReferralPrint';
import { ShowEarlier } from '../components/ShowEarlier';
import { ReferralChips } from '../components/StatusChip';
import { everyPage, useEarlierItems } from '../lib/earlier';
import { type Flash, takeFlash } from '../lib/flash';
import { useFocusAfterRender } from '../lib/focus';
import { formatAppointment, formatDate, formatDateTime, formatDayOf, fullName } from '../lib/format';
import { useAsync, useTitle } from '../lib/hooks';
import { useLiveRefresh } from '../lib/live';
import {
  appointmentZone,
  bodyRegionLabel,
  contactLabel,
  contraindicationLabel,
  eventLabel,
  humanize,
  inviteLinkWorks,
  kindLabel,
  planFrequencyLabel,
  recipientParty,
  redFlagLabel,
  statusLabel,
  unscheduleReasonLabel,
} from '../lib/labels';
import { actionSuccessMessage } from '../lib/messages';
import { Link } from '../lib/router';
import { useUser } from '../lib/session-hooks';

const REDIRECTABLE = new Set(['declined', 'cancelled', 'expired']);
const FOLLOW_UP_STATUSES = new Set(['in_care', 'outcome_sent', 'closed']);

/**
 * The PT's way back to maintenance massage: the recipient of an injury referral in or after care, or
 * a PT who is an admin of their clinic (the draft is still the treating PT's). A clinic admin who is
 * not a practitioner writes no referrals in the app.
 */
const mayFollowUp = (r: Referral, user: User) =>
  r.kind === 'injury_care' &&
  FOLLOW_UP_STATUSES.has(r.status) &&
  (user.id === r.recipientId || (user.isAdmin && user.role === 'physical_therapist' && user.clinicId === r.recipient?.clinicId));

/** A follow-up as read (GET /referrals/:id), or null when it could not be read. */
interface FollowUpRead {
  id: string;
  referral: Referral | null;
}

/**
 * Where the PT's maintenance next step stands: `sent` (done, with the referral that did it), a `draft`
 * to continue, `none` yet (offer a new one), or `unknown` while the follow-ups are read (or one could
 * not be): nothing is offered then, so a duplicate is never one click away.
 */
type NextStep = { state: 'sent' | 'draft'; followUp: Referral } | { state: 'none' | 'unknown' };
function nextStep(ids: readonly string[], read: FollowUpRead[] | undefined): NextStep {
  if (ids.length === 0) return { state: 'none' };
  // Only what was read for these very ids counts (a reload may have added one).
  if (!read || read.length !== ids.length || read.some((f, i) => f.id !== ids[i])) return { state: 'unknown' };
  const maintenance = read.flatMap((f) => (f.referral?.kind === 'maintenance_massage' ? [f.referral] : []));
  const sent = maintenance.find((f) => f.status !== 'draft');
  if (sent) return { state: 'sent', followUp: sent };
  const draft = maintenance.find((f) => f.status === 'draft');
  if (draft) return { state: 'draft', followUp: draft };
  return read.every((f) => f.referral !== null) ? { state: 'none' } : { state: 'unknown' };
}

export function ReferralDetailPage({ id }: { id: string }) {
  const user = useUser()!;
  const referral = useAsync(() => call(api.GET('/api/v1/referrals/{id}', { params: { path: { id } } })), [id]);
  /** What the page showed when a change made elsewhere arrived: its status, and what had focus. */
  const live = useRef<{ status: string | undefined; focus: Element | null } | null>(null);
  useLiveRefresh(
    (e) => e.data.id === id || e.data.referralId === id,
    () => {
      live.current ??= { status: referral.data?.status, focus: document.activeElement };
      void referral.reload();
    },
  );
  // The maintenance follow-ups already made from this referral, read again with each reload of it;
  // only by the PT who may make one (their sender: a recipient's read would acknowledge a sent one).
  const followUps = useAsync<FollowUpRead[]>(
    () =>
      Promise.all(
        (referral.data && mayFollowUp(referral.data, user) ? referral.data.followUpIds : []).map(async (followUpId) => ({
          id: followUpId,
          referral: await call(api.GET('/api/v1/referrals/{id}', { params: { path: { id: followUpId } } })).catch(() => null),
        })),
      ),
    [referral.data],
  );
  const [flash, setFlashState] = useState<Flash | null>(() => takeFlash());
  // The version the flash speaks of: once the referral moves on (the other side acted, a timer ran, a
  // later change here), what it said is old news and it goes.
  const [flashVersion, setFlashVersion] = useState<number | undefined>();
  const version = referral.data?.version;
  if (version !== flashVersion) {
    setFlashVersion(version);
    if (flashVersion !== undefined) setFlashState(null);
  }
  const statusRef = useRef<HTMLDivElement>(null);
  // Where a form that can no longer be sent hands focus when it closes: what there is to do now.
  const actionsHeadingRef = useRef<HTMLHeadingElement>(null);
  const toActions = () => actionsHeadingRef.current;
  const focusAfter = useFocusAfterRender();
  // A change made elsewhere (the other side, a colleague, another tab, a timer) is told in the status
  // slot, not only by the status chip; and a control it took away with focus on it (an action no longer
  // offered) hands focus to what changed, not to <body>. An open form says so itself (useChangedWhileOpen).
  useEffect(() => {
    const before = live.current;
    if (!before || referral.loading) return;
    live.current = null;
    const status = referral.data?.status;
    const told = before.status !== undefined && status !== undefined && status !== before.status;
    if (told) {
      setFlashState({ tone: 'info', text: `This referral was updated: it is now ${statusLabel(status)}.` });
      setFlashVersion(undefined);
    }
    const lost = before.focus instanceof HTMLElement && before.focus !== document.body && !before.focus.isConnected;
    if (lost && (!document.activeElement || document.activeElement === document.body))
      focusAfter(() => (told ? statusRef.current : actionsHeadingRef.current));
  }, [referral.data, referral.loading]);
  // A referral that does not exist (or is not yours to see): trying again would not change that.
  const notFound = !referral.data && referral.error instanceof ApiError && referral.error.status === 404;
  // The tab title goes into the browser's history: it names the practitioners, never the patient.
  useTitle(
    referral.data
      ? `Referral from ${referral.data.sender.fullName} to ${recipientParty(referral.data).fullName}`
      : notFound
        ? 'Referral not found'
        : 'Referral',
  );

  if (referral.error !== undefined && !referral.data) {
    return (
      <>
        <h1 tabIndex={-1}>{notFound ? 'Referral not found' : 'Referral'}</h1>
        {notFound ? (
          <ErrorPanel error={referral.error} title="There is no referral at this address, or it is not yours to see" />
        ) : (
          <ErrorPanel error={referral.error} title="Could not open this referral" onRetry={() => void referral.reload()} />
        )}
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
  // The referral a redirect replaces is the sender side's to see (it went to someone else).
  const redirected = r.replacesId !== null && user.clinicId === r.sender.clinicId;
  const announce = (next: Flash) => {
    setFlashState(next);
    // It speaks of the version shown next (the one just answered or reloaded).
    setFlashVersion(undefined);
    requestAnimationFrame(() => statusRef.current?.focus());
  };
  const done = (updated: Referral, action: ReferralAction) => {
    referral.setData(updated);
    announce({
      tone: 'success',
      text: actionSuccessMessage(action, updated),
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

  // Once redirected, the redirect is the one to follow (the API refuses a second).
  const canRedirect = REDIRECTABLE.has(r.status) && side === 'sender' && r.replacedById === null;
  const canFollowUp = mayFollowUp(r, user);
  const followUp = `/referrals/new?followUp=${r.id}`;
  const next = nextStep(r.followUpIds, followUps.data);
  // A new follow-up is offered only once none was begun or sent; a begun one is continued instead.
  const offerFollowUp = canFollowUp && next.state === 'none';
  const draftFollowUp = canFollowUp && next.state === 'draft' ? next.followUp : null;
  const sentFollowUp = canFollowUp && next.state === 'sent' ? next.followUp : null;

  // Whoever acted, by name: also someone the referral was reassigned from, or an admin acting for one.
  const partyName = ({ actorId, actorName }: { actorId: string | null; actorName: string | null }) =>
    actorId === null
      ? 'ReferLoop (automatic)'
      : actorId === r.senderId
        ? r.sender.fullName
        : actorId === r.recipientId
          ? recipientParty(r).fullName
          : (actorName ?? 'Clinic admin');

  return (
    <>
      <div className="page-head">
        <div>
          <p className="muted small">
            <Link to="/">Referrals</Link> / {kindLabel(r.kind)}
          </p>
          <h1 tabIndex={-1}>Referral for {fullName(r.patient)}</h1>
        </div>
        <ReferralChips referral={r} large />
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
                  {r.emergencyAdviceGiven && (
                    <>
                      <dt>Emergency advice</dt>
                      <dd>The client was told to seek emergency care now</dd>
                    </>
                  )}
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
            {r.plan && <PlanFacts plan={r.plan} />}
            {r.outcome && (
              <div className="subsection outcome" data-testid="outcome">
                <h3>Outcome</h3>
                <p className="prewrap">{r.outcome.summary}</p>
                {r.outcome.recommendations && (
                  <p className="prewrap">
                    <strong>Recommendations:</strong> {r.outcome.recommendations}
                  </p>
                )}
                <dl className="facts">
                  {r.outcome.painLevel !== null && (
                    <>
                      <dt>Pain at discharge</dt>
                      <dd>{r.outcome.painLevel} / 10</dd>
                    </>
                  )}
                  {r.outcome.psfs !== null && (
                    <>
                      <dt>PSFS</dt>
                      <dd>{r.outcome.psfs} / 10</dd>
                    </>
                  )}
                  {r.outcome.visits !== null && (
                    <>
                      <dt>Visits</dt>
                      <dd>{r.outcome.visits}</dd>
                    </>
                  )}
                  {r.outcome.recommendMaintenance && (
                    <>
                      <dt>Next step</dt>
                      <dd>Maintenance massage recommended</dd>
                    </>
                  )}
                </dl>
                <p className="muted small">Sent {formatDateTime(r.outcome.sentAt)}</p>
              </div>
            )}
            {canFollowUp && next.state !== 'unknown' && (
              <div className="subsection" data-testid="follow-up">
                <h3>Next step</h3>
                {sentFollowUp ? (
                  <p data-testid="follow-up-sent">
                    Done: <Link to={`/referrals/${sentFollowUp.id}`}>maintenance massage referral</Link> sent to{' '}
                    {recipientParty(sentFollowUp).fullName}
                    {sentFollowUp.sentAt ? ` on ${formatDayOf(sentFollowUp.sentAt)}` : ''}.
                  </p>
                ) : draftFollowUp ? (
                  <>
                    <Link className="button button-primary" to={`/referrals/${draftFollowUp.id}`}>
                      Continue the maintenance referral draft
                    </Link>
                    <p className="muted small">
                      A maintenance-massage referral for {fullName(r.patient)} to {recipientParty(draftFollowUp).fullName} is
                      begun, not yet sent.
                    </p>
                  </>
                ) : (
                  <>
                    <Link className="button button-primary" to={followUp}>
                      Recommend maintenance massage
                    </Link>
                    <p className="muted small">
                      A maintenance-massage referral for {fullName(r.patient)}, to {r.sender.fullName} by default.
                    </p>
                  </>
                )}
              </div>
            )}
            {(r.previousId || r.followUpIds.length > 0 || redirected || r.replacedById) && (
              <nav className="subsection" aria-label="Referral chain" data-testid="referral-chain">
                <h3>Care chain</h3>
                <ul>
                  {redirected && (
                    <li>
                      Redirects <Link to={`/referrals/${r.replacesId}`}>the earlier referral</Link>
                    </li>
                  )}
                  {r.replacedById && (
                    <li>
                      Redirected to <Link to={`/referrals/${r.replacedById}`}>a new referral</Link>
                    </li>
                  )}
                  {r.previousId && (
                    <li>
                      Follows up <Link to={`/referrals/${r.previousId}`}>the injury referral</Link>
                    </li>
                  )}
                  {r.followUpIds.map((followUpId, i) => (
                    <li key={followUpId}>
                      Followed by{' '}
                      <Link to={`/referrals/${followUpId}`}>maintenance referral {r.followUpIds.length > 1 ? i + 1 : ''}</Link>
                    </li>
                  ))}
                </ul>
              </nav>
            )}
            <MeasuresChart
              points={[
                { label: 'At referral', painLevel: r.painLevel, psfs: null },
                ...progressPoints(r.progress),
                ...(r.outcome ? [{ label: 'At discharge', painLevel: r.outcome.painLevel, psfs: r.outcome.psfs }] : []),
              ]}
            />
          </section>

          <ProgressSection
            referral={r}
            onStart={() => setFlashState(null)}
            onDone={done}
            onConflict={(e) => void conflict(e)}
            fallbackFocus={toActions}
          />

          <section className="card detail-timeline" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">Timeline</h2>
            <Timeline
              referralId={r.id}
              events={r.timeline ?? []}
              truncated={r.timelineTruncated ?? false}
              partyName={partyName}
              appointmentAt={(at) => formatAppointment(at, appointmentZone(r), recipientParty(r).clinicName)}
            />
          </section>
        </div>

        <div className="detail-column">
          <section className="card detail-actions no-print" aria-labelledby="actions-heading">
            <h2 id="actions-heading" ref={actionsHeadingRef} tabIndex={-1}>
              What you can do
            </h2>
            <p className="muted small">
              {r.status === 'draft'
                ? 'This referral is a draft: it has not been sent.'
                : side === 'sender'
                  ? r.sentAt
                    ? 'You sent this referral.'
                    : 'You wrote this referral; it was never sent.'
                  : side === 'recipient'
                    ? 'This referral was sent to you.'
                    : 'You act for your clinic.'}
            </p>
            {r.status === 'draft' && r.allowedActions.includes('send') && (
              <DraftPanel referral={r} onUpdated={(updated) => referral.setData(updated)} />
            )}
            <ReferralActions
              referral={r}
              onStart={() => setFlashState(null)}
              onDone={done}
              onConflict={(e) => void conflict(e)}
              fallbackFocus={toActions}
            />
            {buttonActions(r).length === 0 && !canRedirect && (!canFollowUp || sentFollowUp) && (
              <p className="muted">Nothing for you to do on this referral now.</p>
            )}
            {/* The next step shown with the outcome is something to do here too. */}
            {offerFollowUp && (
              <p>
                <Link to={followUp} className="button button-secondary">
                  Recommend maintenance massage
                </Link>
              </p>
            )}
            {draftFollowUp && (
              <p>
                <Link to={`/referrals/${draftFollowUp.id}`} className="button button-secondary">
                  Continue the maintenance referral draft
                </Link>
              </p>
            )}
            {canRedirect && (
              <p>
                <Link to={`/referrals/new?replaces=${r.id}`} className="button button-secondary">
                  Redirect to another practitioner
                </Link>
              </p>
            )}
          </section>

          <ReferralPrint referral={r} />

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
              <dd>{contactLabel(r.patient.preferredContact)}</dd>
            </dl>
          </section>

          <section className="card detail-attachments" aria-labelledby="attachments-heading">
            <h2 id="attachments-heading">Attachments</h2>
            <ReferralAttachments referral={r} onChanged={() => void referral.reload()} />
          </section>

          <Conversation referral={r} />
        </div>
      </div>
    </>
  );
}

/** Every event of the referral, oldest first, paged from GET /referrals/:id/events (its answer embeds only the latest). */
const loadWholeTimeline = (referralId: string): Promise<ReferralEvent[]> =>
  everyPage((cursor) =>
    call(api.GET('/api/v1/referrals/{id}/events', { params: { path: { id: referralId }, query: { limit: 100, cursor } } })),
  );

function Timeline({
  referralId,
  events: latest,
  truncated,
  partyName,
  appointmentAt,
}: {
  referralId: string;
  /** The latest events, as the referral's answer embeds them. */
  events: ReferralEvent[];
  /** Whether earlier events exist than `events`. */
  truncated: boolean;
  partyName: (event: { actorId: string | null; actorName: string | null }) => string;
  /** An appointment time as the referral shows it: in the zone where it happens. */
  appointmentAt: (iso: string) => string;
}) {
  const list = useRef<HTMLOListElement>(null);
  const {
    items: events,
    complete,
    loading,
    loadError,
    showEarlier,
  } = useEarlierItems(latest, truncated, () => loadWholeTimeline(referralId), list);
  // Messages are read (with their text) in the conversation panel: shown once, there.
  const shown = events.filter((e) => e.type !== 'message');
  const messages = events.length - shown.length;
  const elsewhere =
    messages > 0 ? (
      <p className="muted small" data-testid="timeline-messages">
        {!complete ? 'Messages are' : messages === 1 ? '1 message is' : `${messages} messages are`} in the conversation.
      </p>
    ) : null;
  const earlier = complete ? null : (
    <ShowEarlier noun="events" testId="timeline-earlier" loading={loading} loadError={loadError} onShow={showEarlier} />
  );
  if (shown.length === 0) {
    return (
      <>
        {earlier ?? <p className="muted">No events yet.</p>}
        {elsewhere}
      </>
    );
  }
  return (
    <>
      {earlier}
      <ol className="timeline" data-testid="timeline" ref={list} tabIndex={-1}>
        {shown.map((e) => {
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
                {partyName(e)}
                {e.fromStatus && e.fromStatus !== e.toStatus
                  ? ` · ${statusLabel(e.fromStatus)} → ${statusLabel(e.toStatus)}`
                  : ''}
              </p>
              {appointment && <p>Appointment: {appointmentAt(appointment)}</p>}
              {e.reason && (
                <p className="prewrap">Reason: {/^[a-z_]+$/.test(e.reason) ? unscheduleReasonLabel(e.reason) : e.reason}</p>
              )}
              {e.note && <p className="prewrap">{e.note}</p>}
            </li>
          );
        })}
      </ol>
      {elsewhere}
    </>
  );
}

/**
 * The sender's view of a recipient not on ReferLoop yet: who was invited, the join link to hand
 * over (phone, fax, letter), and a new link by email (the previous one stops working), while the
 * referral is a draft or sent; once it has ended, the invitation has ended with it.
 */
function PendingInvite({ referral, onResent }: { referral: Referral; onResent: (updated: Referral) => void }) {
  const invite = referral.recipientInvite;
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const messageRef = useRef<HTMLParagraphElement>(null);
  const focusAfter = useFocusAfterRender();
  if (!invite) return <span className="muted">An invited practitioner</span>;
  if (!inviteLinkWorks(referral.status)) {
    return (
      <p data-testid="ended-invite">
        {invite.fullName} <span className="muted">· {invite.email}</span>: invited, and the invitation ended with the referral (
        {statusLabel(referral.status).toLowerCase()}).
      </p>
    );
  }
  const resend = async () => {
    setBusy(true);
    setMessage(null);
    try {
      const updated = await call(
        api.POST('/api/v1/referrals/{id}/resend-invite', {
          params: { path: { id: referral.id } },
          body: { version: referral.version },
        }),
      );
      onResent(updated);
      setMessage(referral.sentAt ? 'A new invitation was emailed; the previous link no longer works.' : 'A new link was made.');
    } catch (error) {
      setMessage(errorMessage(error));
    } finally {
      setBusy(false);
    }
    // The button was disabled while it worked, which dropped focus: on to what it did.
    focusAfter(() => messageRef.current);
  };
  return (
    <div data-testid="pending-invite">
      <p>
        Waiting for {invite.fullName} to join <span className="muted">· {invite.email}</span>
      </p>
      {invite.url && <CopyLink id="invite-link" label="Join link to hand over" url={invite.url} />}
      <button type="button" className="button button-secondary button-small" disabled={busy} onClick={() => void resend()}>
        Resend invitation
      </button>
      <p ref={messageRef} tabIndex={-1} role="status" className="flash-slot">
        {message}
      </p>
    </div>
  );
}

/** The maintenance plan, shown to the massage therapist before accepting and on every view. */
function PlanFacts({ plan }: { plan: NonNullable<Referral['plan']> }) {
  return (
    <div className="subsection" data-testid="plan">
      <h3>Maintenance plan</h3>
      <dl className="facts">
        <dt>Frequency</dt>
        <dd>{planFrequencyLabel(plan)}</dd>
        <dt>Sessions</dt>
        <dd>{plan.sessions ?? 'Ongoing'}</dd>
        {plan.durationWeeks !== null && (
          <>
            <dt>Duration</dt>
            <dd>{plan.durationWeeks} weeks</dd>
          </>
        )}
        {plan.reviewBy && (
          <>
            <dt>Review by</dt>
            <dd>{formatDate(plan.reviewBy)}</dd>
          </>
        )}
        {plan.pressure && (
          <>
            <dt>Pressure</dt>
            <dd>{humanize(plan.pressure)}</dd>
          </>
        )}
        {plan.goals.length > 0 && (
          <>
            <dt>Goals</dt>
            <dd>
              <ul>
                {plan.goals.map((goal, i) => (
                  <li key={i}>{goal}</li>
                ))}
              </ul>
            </dd>
          </>
        )}
        <dt>Focus areas</dt>
        <dd>{plan.focusAreas.length ? plan.focusAreas.map(bodyRegionLabel).join(', ') : '—'}</dd>
        {plan.contraindications.length > 0 && (
          <>
            <dt>Contraindications</dt>
            <dd className="text-danger">{plan.contraindications.map(contraindicationLabel).join('; ')}</dd>
          </>
        )}
        <dt>Precautions</dt>
        <dd className="prewrap">{plan.precautions || '—'}</dd>
        {plan.reportEveryWeeks !== null && (
          <>
            <dt>Progress reports</dt>
            <dd>Every {plan.reportEveryWeeks === 1 ? 'week' : `${plan.reportEveryWeeks} weeks`}</dd>
          </>
        )}
      </dl>
    </div>
  );
}
