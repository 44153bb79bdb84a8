import { useEffect, useId, useRef, useState } from 'react';
import { api, call } from '../api/client';
import type { Notification } from '../api/types';
import { formatDateTime } from '../lib/format';
import { useAsync } from '../lib/hooks';
import { useLiveRefresh } from '../lib/live';
import { confirmLeave } from '../lib/leave-guard';
import { navigate } from '../lib/router';

const POLL_MS = 30_000;
export const NOTIFICATIONS_CHANGED = 'referloop:notifications-changed';

/** The bell: unread count, and the latest notifications in a popover. */
export function NotificationBell() {
  // The latest load wins: a poll's answer that arrives after a later refresh (a notification just
  // read) must not bring back the count from before it.
  const latest = useAsync(() => call(api.GET('/api/v1/notifications', { params: { query: { limit: 8 } } })), []);
  const load = latest.reload;
  const unread = latest.data?.unreadCount ?? null;
  const items = latest.data?.items ?? [];
  const failed = latest.error !== undefined;
  const [open, setOpen] = useState(false);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const panelId = useId();

  useLiveRefresh(
    (e) => e.event === 'notification.created',
    () => void load(),
  );

  useEffect(() => {
    const timer = setInterval(() => void load(), POLL_MS);
    const onFocus = () => void load();
    window.addEventListener('focus', onFocus);
    window.addEventListener(NOTIFICATIONS_CHANGED, onFocus);
    return () => {
      clearInterval(timer);
      window.removeEventListener('focus', onFocus);
      window.removeEventListener(NOTIFICATIONS_CHANGED, onFocus);
    };
  }, [load]);

  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') {
        setOpen(false);
        buttonRef.current?.focus();
      }
    };
    const onClick = (event: MouseEvent) => {
      const target = event.target as Node;
      if (!panelRef.current?.contains(target) && !buttonRef.current?.contains(target)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('mousedown', onClick);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('mousedown', onClick);
    };
  }, [open]);

  const openNotification = async (notification: Notification) => {
    setOpen(false);
    // The item pressed is hidden with the panel: focus goes back to the bell (then to the referral's heading).
    buttonRef.current?.focus();
    if (!notification.readAt) {
      await call(api.POST('/api/v1/notifications/{id}/read', { params: { path: { id: notification.id } } })).catch(
        () => undefined,
      );
      void load();
    }
    // Leaving a form with unsaved changes asks first.
    const referralId = notification.referralId;
    if (referralId) confirmLeave(() => navigate(`/referrals/${referralId}`));
  };

  const count = unread ?? 0;
  return (
    <div className="bell">
      <button
        ref={buttonRef}
        type="button"
        className="bell-button"
        aria-expanded={open}
        aria-controls={panelId}
        // Named with the figure it shows (99+ past 99: "more than 99"), as WCAG 2.5.3 asks; the panel gives the exact count.
        aria-label={unread === null ? 'Notifications' : `Notifications, ${count > 99 ? 'more than 99' : count} unread`}
        onClick={() => {
          setOpen((o) => !o);
          if (!open) void load();
        }}
      >
        <svg aria-hidden="true" viewBox="0 0 24 24" width="22" height="22">
          <path
            d="M12 3a6 6 0 0 0-6 6v3.6L4.3 16a1 1 0 0 0 .9 1.5h13.6a1 1 0 0 0 .9-1.5L18 12.6V9a6 6 0 0 0-6-6Zm-2.5 16a2.5 2.5 0 0 0 5 0"
            fill="none"
            stroke="currentColor"
            strokeWidth="1.8"
            strokeLinejoin="round"
          />
        </svg>
        <span className={`bell-count ${count > 0 ? '' : 'bell-count-empty'}`} data-testid="unread-count" aria-hidden="true">
          {count > 99 ? '99+' : count}
        </span>
      </button>
      <div ref={panelRef} id={panelId} className="bell-panel" hidden={!open} role="region" aria-label="Notifications">
        <p className="bell-heading">
          {count} unread {failed && <span className="muted">(could not refresh)</span>}
        </p>
        {items.length === 0 ? (
          <p className="muted">Nothing yet.</p>
        ) : (
          <ul className="bell-list">
            {items.map((n) => (
              <li key={n.id}>
                <button
                  type="button"
                  className={`bell-item ${n.readAt ? '' : 'bell-item-unread'}`}
                  onClick={() => void openNotification(n)}
                >
                  <span className="bell-item-title">{n.title}</span>
                  <span className="bell-item-body">{n.body}</span>
                  <span className="bell-item-time">{formatDateTime(n.createdAt)}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}
