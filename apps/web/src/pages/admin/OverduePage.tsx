import { useCallback, useState } from 'react';
import { api, call } from '../../api/client';
import { ErrorPanel, Loading } from '../../components/Feedback';
import { PriorityBadge, StatusChip } from '../../components/StatusChip';
import { formatDateTimeInZone, formatDuration, formatPeriod } from '../../lib/format';
import { usePagedList, useTitle } from '../../lib/hooks';
import { kindLabel } from '../../lib/labels';
import { Link } from '../../lib/router';
import { TimesIn, useClinicTimeZone } from './ClinicTime';

type Side = '' | 'sent' | 'received';

export function OverduePage() {
  useTitle('Overdue referrals');
  const [side, setSide] = useState<Side>('');
  const fetchPage = useCallback(
    (cursor?: string) =>
      call(api.GET('/api/v1/admin/referrals/overdue', { params: { query: { box: side || undefined, cursor, limit: 50 } } })),
    [side],
  );
  const { items, last, nextCursor, loading: busy, error, reload, loadMore } = usePagedList(fetchPage);
  // When each was sent, on the clinic's clocks, the zone named.
  const zone = useClinicTimeZone();
  const thresholds = last && {
    reminder: last.reminderAfterSeconds,
    escalate: last.escalateAfterSeconds,
    urgentReminder: last.urgentReminderAfterSeconds,
    urgentEscalate: last.urgentEscalateAfterSeconds,
  };

  return (
    <>
      <h1 tabIndex={-1}>Overdue referrals</h1>
      <p className="muted">
        Waiting past the reminder: referrals with no decision
        {thresholds
          ? ` after ${formatPeriod(thresholds.reminder)} (urgent: ${formatPeriod(thresholds.urgentReminder)}). Those still waiting after ${formatPeriod(thresholds.escalate)} (urgent: ${formatPeriod(thresholds.urgentEscalate)}) are escalated, marked Escalate here and counted as Escalated on the dashboard`
          : ' yet after the reminder was sent'}
        . Time spent waiting for requested information does not count.
      </p>
      <div className="filters">
        <div className="field">
          <label htmlFor="overdue-side">Side</label>
          <select id="overdue-side" value={side} onChange={(e) => setSide(e.target.value as Side)}>
            <option value="">Sent and received</option>
            <option value="sent">Sent by the clinic</option>
            <option value="received">Received by the clinic</option>
          </select>
        </div>
      </div>
      {error !== null && <ErrorPanel error={error} title="Could not load overdue referrals" onRetry={() => void reload()} />}
      {items === null || zone === undefined ? (
        error === null && <Loading lines={4} />
      ) : items.length === 0 ? (
        <p className="empty">Nothing overdue. Every referral has an answer in time.</p>
      ) : (
        <>
          <TimesIn zone={zone} />
          <div className="table-wrap">
            <table className="table" data-testid="overdue-table">
              <thead>
                <tr>
                  <th scope="col">Referral</th>
                  <th scope="col">From → to</th>
                  <th scope="col">Status</th>
                  <th scope="col">Sent</th>
                  <th scope="col">Waiting</th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <Link to={`/referrals/${r.id}`}>{kindLabel(r.kind)}</Link>
                      <span className="row-sub muted small">
                        {r.side === 'both' ? 'Within the clinic' : r.side === 'sent' ? 'Sent by the clinic' : 'Received'}
                      </span>
                    </td>
                    <td>
                      {r.sender.fullName} <span className="muted small">({r.sender.clinicName})</span> →{' '}
                      {r.recipient ? (
                        <>
                          {r.recipient.fullName} <span className="muted small">({r.recipient.clinicName})</span>
                        </>
                      ) : (
                        <span className="muted small">an invited practitioner who has not joined yet</span>
                      )}
                    </td>
                    <td>
                      <span className="chips">
                        <StatusChip status={r.status} />
                        <PriorityBadge priority={r.priority} />
                      </span>
                    </td>
                    <td className="nowrap">{formatDateTimeInZone(r.sentAt, zone.timeZone)}</td>
                    <td className="nowrap">
                      {formatDuration(r.elapsedSeconds)} {r.escalationDue && <span className="chip chip-danger">Escalate</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
      <div className="pager">
        {nextCursor && (
          <button type="button" className="button button-secondary" onClick={() => void loadMore()} disabled={busy}>
            Load more
          </button>
        )}
      </div>
    </>
  );
}
