import { isoInTimeZone } from './zoned-iso';

describe('isoInTimeZone', () => {
  it('writes the local time with the offset in force at that instant, across a DST change', () => {
    // America/Denver leaves DST on 2026-11-01 at 02:00 local (08:00 UTC): MDT −06:00, then MST −07:00.
    expect(isoInTimeZone(new Date('2026-11-01T07:30:00Z'), 'America/Denver')).toBe('2026-11-01T01:30:00-06:00');
    expect(isoInTimeZone(new Date('2026-11-01T08:30:00Z'), 'America/Denver')).toBe('2026-11-01T01:30:00-07:00');
    expect(isoInTimeZone(new Date('2026-12-01T17:00:00Z'), 'America/Denver')).toBe('2026-12-01T10:00:00-07:00');
  });

  it('names half-hour and zero offsets', () => {
    expect(isoInTimeZone(new Date('2026-01-15T12:00:00Z'), 'America/St_Johns')).toBe('2026-01-15T08:30:00-03:30');
    expect(isoInTimeZone(new Date('2026-01-15T12:00:00Z'), 'UTC')).toBe('2026-01-15T12:00:00+00:00');
    expect(isoInTimeZone(new Date('2026-01-15T00:05:00Z'), 'Europe/London')).toBe('2026-01-15T00:05:00+00:00');
  });

  it('round-trips to the same instant', () => {
    const instant = new Date('2027-03-14T09:15:00Z');
    expect(new Date(isoInTimeZone(instant, 'America/Toronto')).getTime()).toBe(instant.getTime());
  });
});
