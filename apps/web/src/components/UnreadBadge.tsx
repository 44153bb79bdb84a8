import { unreadBadgeText, unreadLabel } from '../lib/unread';

/**
 * The count of what the other side wrote or did on a referral since you last opened it (the list
 * item's `unreadCount`); nothing when it is zero or not given.
 */
export function UnreadBadge({ count }: { count: number | undefined }) {
  if (!count) return null;
  return (
    <span className="unread-badge" role="img" aria-label={unreadLabel(count)} data-testid="unread-badge" data-count={count}>
      {unreadBadgeText(count)}
    </span>
  );
}
