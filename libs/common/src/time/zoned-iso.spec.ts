import { calendarDayIn, isoInTimeZone } from './zoned-iso';

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

describe('calendarDayIn', () => {
  const MINUTE = 60_000;
  /**
   * Zones with DST changes on these days, two whose clocks change at midnight (the day itself moves:
   * Havana skips from 00:00 to 01:00, Santiago goes back from 00:00 to 23:00), half- and
   * quarter-hour offsets, a half-hour DST shift, and none.
   */
  const ZONES = [
    'America/Denver',
    'America/Havana',
    'America/Santiago',
    'America/St_Johns',
    'Asia/Kathmandu',
    'Pacific/Chatham',
    'Australia/Lord_Howe',
    'Europe/London',
    'UTC',
  ];
  /** Two days from each: 2026-03-08 (US, Havana), 03-29 (EU), 04-05 (southern hemisphere, Santiago), 09-06 (Santiago), 11-01 (US). */
  const DAYS = ['2026-03-07', '2026-03-28', '2026-04-04', '2026-09-05', '2026-10-31'];

  it("reads the zone's calendar day at every instant, across changes of offset, as its local time says", () => {
    for (const zone of ZONES) {
      for (const day of DAYS) {
        const start = Date.parse(`${day}T00:00:00Z`);
        // Two days in steps of 7 minutes 13 seconds: instants on and off quarter hours, each asked twice.
        for (let at = start; at < start + 2 * 1440 * MINUTE; at += 7 * MINUTE + 13_000) {
          const instant = new Date(at);
          const expected = isoInTimeZone(instant, zone).slice(0, 10);
          expect(`${zone} ${instant.toISOString()} ${calendarDayIn(instant, zone)}`).toBe(
            `${zone} ${instant.toISOString()} ${expected}`,
          );
          expect(calendarDayIn(instant, zone)).toBe(expected);
        }
      }
    }
  });

  it('answers the same day for instants asked out of order', () => {
    const instants = ['2026-11-01T08:59:59.999Z', '2026-11-01T05:59:59.999Z', '2026-11-01T06:00:00Z', '2026-11-01T07:00:00.001Z'];
    const days = instants.map((iso) => calendarDayIn(new Date(iso), 'America/Denver'));
    // Denver: 01:59 MST on Nov 1 (after the change), 23:59 MDT on Oct 31, midnight, then 01:00 MDT (before it).
    expect(days).toEqual(['2026-11-01', '2026-10-31', '2026-11-01', '2026-11-01']);
  });
});
