import { useCallback, useState } from 'react';
import { api, call } from '../../api/client';
import { ErrorPanel, LoadMore } from '../../components/Feedback';
import { ReferralChips } from '../../components/StatusChip';
import { formatDateTimeInZone, formatDuration, formatPeriod } from '../../lib/format';
import { usePagedList, useTitle } from '../../lib/hooks';
import { kindLabel } from '../../lib/labels';
import { Link } from '../../lib/router';
import { TimesTable, useClinicTimeZone } from './ClinicTime';

type Side = '' | 'sent' | 'received';

export function OverduePage() {
  useTitle('Overdue referrals');
  const [side, setSide] = useState<Side>('');
  const fetchPage = useCallback(
    (cursor?: string) =>
      call(api.GET('/api/v1/admin/referrals/overdue', { params: { query: { box: side || undefined, cursor, limit: 50 } } })),
    [side],
  );
  const list = usePagedList(fetchPage);
  const { items, last, error, reload } = list;
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
      <TimesTable
        zone={zone}
        rows={items}
        quiet={error !== null}
        loadingLines={4}
        empty="Nothing overdue. Every referral has an answer in time."
        columns={['Referral', 'From → to', 'Status', 'Sent', 'Waiting']}
        testId="overdue-table"
        row={(r, timeZone) => (
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
              <ReferralChips referral={r} />
            </td>
            <td className="nowrap">{formatDateTimeInZone(r.sentAt, timeZone)}</td>
            <td className="nowrap">
              {formatDuration(r.elapsedSeconds)} {r.escalationDue && <span className="chip chip-danger">Escalate</span>}
            </td>
          </tr>
        )}
      />
      <LoadMore list={list} />
    </>
  );
}
