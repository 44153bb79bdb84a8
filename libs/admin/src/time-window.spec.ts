import { AppError } from '@referloop/common';
import { coveredDays, DEFAULT_WINDOW_MS, namesCalendarDate, resolveWindow, startOfDay } from './time-window';

describe('resolveWindow', () => {
  const now = new Date('2026-03-31T12:00:00.000Z');

  it('defaults to the 30 days before now', () => {
    expect(resolveWindow({}, now)).toEqual({ from: new Date(now.getTime() - DEFAULT_WINDOW_MS), to: now });
    expect(DEFAULT_WINDOW_MS).toBe(30 * 86_400_000);
  });

  it('takes `from` alone up to now, and `to` alone with the 30 days before it', () => {
    expect(resolveWindow({ from: '2026-03-01T00:00:00-06:00' }, now)).toEqual({
      from: new Date('2026-03-01T06:00:00Z'),
      to: now,
    });
    expect(resolveWindow({ to: '2026-02-01T00:00:00Z' }, now)).toEqual({
      from: new Date('2026-01-02T00:00:00Z'),
      to: new Date('2026-02-01T00:00:00Z'),
    });
  });

  it('accepts an empty window and refuses a reversed one with a field error', () => {
    expect(resolveWindow({ from: '2026-03-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }, now).from.getTime()).toBe(
      new Date('2026-03-01T00:00:00Z').getTime(),
    );
    let error: unknown;
    try {
      resolveWindow({ from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' }, now);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({
      code: 'validation_failed',
      extensions: { errors: [{ field: 'from', message: 'must not be after to' }] },
    });
  });
});

describe('resolveWindow with calendar dates', () => {
  const now = new Date('2026-03-31T12:00:00.000Z');

  it('reads a date as a day in the clinic zone: from its start, to the end of the `to` day', () => {
    expect(resolveWindow({ from: '2026-03-01', to: '2026-03-30' }, now, 'America/Chicago')).toEqual({
      from: new Date('2026-03-01T06:00:00Z'),
      // Daylight saving time began on 8 March: the last day ends at 05:00Z.
      to: new Date('2026-03-31T05:00:00Z'),
    });
    expect(resolveWindow({ from: '2026-03-01', to: '2026-03-01' }, now)).toEqual({
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-03-02T00:00:00Z'),
    });
  });

  it('mixes a date with a date-time, and finds the start of a day that begins an hour late', () => {
    expect(resolveWindow({ from: '2026-02-01', to: '2026-03-01T00:00:00Z' }, now, 'Asia/Tokyo').from).toEqual(
      new Date('2026-01-31T15:00:00Z'),
    );
    // In Havana the clocks go from 00:00 to 01:00 on 8 March 2026: the day begins at 01:00 local (05:00Z).
    expect(startOfDay('2026-03-08', 'America/Havana')).toEqual(new Date('2026-03-08T05:00:00Z'));
    expect(namesCalendarDate({ from: '2026-02-01T00:00:00Z' })).toBe(false);
    expect(namesCalendarDate({ to: '2026-02-01' })).toBe(true);
  });
});

describe('coveredDays', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  it.each([
    ['Pacific/Auckland', '2026-03-01', '2026-03-31'],
    ['America/Chicago', '2026-11-01', '2026-11-30'],
    ['America/Chicago', '2026-11-30', '2026-11-30'],
    ['UTC', '2026-02-01', '2026-02-28'],
  ])('names the days asked for in %s: %s to %s', (timeZone, from, to) => {
    expect(coveredDays({ ...resolveWindow({ from, to }, now, timeZone), timeZone })).toEqual([from, to]);
  });

  it('names the last day a date-time window reaches into (its end is exclusive)', () => {
    const window = resolveWindow({ from: '2026-11-01T00:00:00Z', to: '2026-12-01T00:00:00Z' }, now);
    expect(coveredDays({ ...window, timeZone: 'UTC' })).toEqual(['2026-11-01', '2026-11-30']);
  });
});
