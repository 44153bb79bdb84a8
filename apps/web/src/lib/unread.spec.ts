/// <reference types="jest" />
import { unreadBadgeText, unreadLabel } from './unread';

describe('unread badges', () => {
  it.each([
    [1, '1 unread update', '1'],
    [3, '3 unread updates', '3'],
    [99, '99 unread updates', '99'],
    [120, '120 unread updates', '99+'],
  ])('%i reads "%s" and shows "%s"', (count, label, text) => {
    expect(unreadLabel(count)).toBe(label);
    expect(unreadBadgeText(count)).toBe(text);
  });
});
