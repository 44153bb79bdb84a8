/** What a referral's unread count in the lists says to a screen reader ("3 unread messages"). */
export const unreadLabel = (count: number) => `${count} unread ${count === 1 ? 'message' : 'messages'}`;

/** The badge's visible text: the count, capped so it stays small. */
export const unreadBadgeText = (count: number) => (count > 99 ? '99+' : String(count));
