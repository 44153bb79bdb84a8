import { AppError } from '@referloop/common';
import { DEFAULT_WINDOW_MS, resolveWindow } from './time-window';

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
