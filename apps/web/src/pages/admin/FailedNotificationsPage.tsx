import { useRef, useState } from 'react';
import { api, call } from '../../api/client';
import { ApiError, errorMessage } from '../../api/problem';
import type { FailedDelivery } from '../../api/types';
import { ErrorPanel, Notice } from '../../components/Feedback';
import { screenHeading, useFocusAfterRender } from '../../lib/focus';
import { formatDateTimeInZone } from '../../lib/format';
import { useAsync, useTitle } from '../../lib/hooks';
import { channelLabel, notificationTypeLabel } from '../../lib/labels';
import { Link } from '../../lib/router';
import { TimesTable, useClinicTimeZone } from './ClinicTime';

export function FailedNotificationsPage() {
  useTitle('Failed notifications');
  const failed = useAsync(() => call(api.GET('/api/v1/admin/notifications/failed', { params: { query: { limit: 100 } } })), []);
  const zone = useClinicTimeZone();
  const [retried, setRetried] = useState<Record<string, string>>({}); // 'queued', or why the retry failed
  const [sending, setSending] = useState<ReadonlySet<string>>(new Set());
  const tableRef = useRef<HTMLDivElement>(null);
  const focusAfter = useFocusAfterRender();
  /** A row's retry answer (Retry queued) or, after a refusal, its Retry button; the page's heading once the row is gone. */
  const rowFocus = (id: string) =>
    tableRef.current?.querySelector(`[data-retried="${id}"], [data-retry="${id}"]`) ?? screenHeading();

  const retry = async (delivery: FailedDelivery) => {
    // A double click sends one retry: the button is off until the answer.
    if (sending.has(delivery.id)) return;
    setSending((ids) => new Set(ids).add(delivery.id));
    try {
      await call(api.POST('/api/v1/admin/notifications/{id}/retry', { params: { path: { id: delivery.id } } }));
      setRetried((r) => ({ ...r, [delivery.id]: 'queued' }));
    } catch (e) {
      setRetried((r) => ({ ...r, [delivery.id]: errorMessage(e) }));
      // No longer failed (retried from another tab, or it went out meanwhile): the list says what is left.
      if (e instanceof ApiError && e.status === 409) await failed.reload();
    } finally {
      setSending((ids) => {
        const next = new Set(ids);
        next.delete(delivery.id);
        return next;
      });
    }
    // The button was disabled while retrying (and gives way to "Retry queued"): focus stays with the row.
    focusAfter(() => rowFocus(delivery.id));
  };

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Failed notifications</h1>
        <button type="button" className="button button-secondary" onClick={() => void failed.reload()}>
          Refresh
        </button>
      </div>
      <p className="muted">
        Emails and webhook deliveries that still failed after the last attempt. In-app notifications always arrive.
      </p>
      {failed.error !== undefined ? (
        <ErrorPanel error={failed.error} title="Could not load failed notifications" onRetry={() => void failed.reload()} />
      ) : (
        <TimesTable
          zone={zone}
          rows={failed.data?.items}
          loadingLines={4}
          empty="No failed deliveries."
          columns={[
            'Failed',
            'Channel',
            'Notification',
            'Attempts',
            'Last error',
            <span className="visually-hidden">Retry</span>,
          ]}
          frameRef={tableRef}
          row={(d, timeZone) => (
            <tr key={d.id}>
              <td className="nowrap">{formatDateTimeInZone(d.failedAt ?? d.createdAt, timeZone)}</td>
              <td>{channelLabel(d.channel)}</td>
              <td>
                {notificationTypeLabel(d.notificationType)}
                {d.referralId && (
                  <span className="row-sub small">
                    <Link to={`/referrals/${d.referralId}`}>Open referral</Link>
                  </span>
                )}
              </td>
              <td>
                {d.attempts}
                {d.retryCount > 0 ? ` (retried ${d.retryCount}×)` : ''}
              </td>
              <td className="small">{d.lastError ?? '—'}</td>
              <td>
                {retried[d.id] === 'queued' ? (
                  <div tabIndex={-1} className="flash-slot" data-retried={d.id}>
                    <Notice tone="success">Retry queued</Notice>
                  </div>
                ) : (
                  <>
                    <button
                      type="button"
                      className="button button-secondary button-small"
                      disabled={sending.has(d.id)}
                      data-retry={d.id}
                      aria-describedby={retried[d.id] ? `retry-error-${d.id}` : undefined}
                      onClick={() => void retry(d)}
                    >
                      Retry
                    </button>
                    {retried[d.id] && (
                      <p className="field-error" id={`retry-error-${d.id}`}>
                        {retried[d.id]}
                      </p>
                    )}
                  </>
                )}
              </td>
            </tr>
          )}
        />
      )}
    </>
  );
}
