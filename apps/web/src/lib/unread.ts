/**
 * What a referral's unread count in the lists says to a screen reader ("3 unread updates"): it counts
 * the other side's messages and what they did (accepted, booked…), so not "messages".
 */
export const unreadLabel = (count: number) => `${count} unread ${count === 1 ? 'update' : 'updates'}`;

/** The badge's visible text: the count, capped so it stays small. */
export const unreadBadgeText = (count: number) => (count > 99 ? '99+' : String(count));
