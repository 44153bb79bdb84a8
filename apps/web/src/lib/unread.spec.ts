/// <reference types="jest" />
import { unreadBadgeText, unreadLabel } from './unread';

describe('unread badges', () => {
  it.each([
    [1, '1 unread message', '1'],
    [3, '3 unread messages', '3'],
    [99, '99 unread messages', '99'],
    [120, '120 unread messages', '99+'],
  ])('%i reads "%s" and shows "%s"', (count, label, text) => {
    expect(unreadLabel(count)).toBe(label);
    expect(unreadBadgeText(count)).toBe(text);
  });
});
