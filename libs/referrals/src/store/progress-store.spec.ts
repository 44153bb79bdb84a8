import { sql } from '@referloop/database';
import { progressInsert, progressJson, progressReportsDue } from './progress-store';

describe('progress store statements', () => {
  const at = new Date('2026-03-01T12:00:00.000Z');

  it('keeps every reported value a parameter, the note trimmed and a blank note null', () => {
    const note = "'); DROP TABLE referral_progress; --";
    const insert = progressInsert(
      { sessionsCompleted: 3, painLevel: 4, psfs: 6.5, tolerance: 'well', note: `  ${note} ` },
      'u-1',
      at,
    );
    expect(insert.text).not.toContain('DROP TABLE');
    expect(insert.text).toMatch(/FROM event e/);
    expect(insert.values).toEqual([3, 4, 6.5, 'well', note, 'u-1', at]);
    const blank = progressInsert({ sessionsCompleted: 0, tolerance: 'adverse', note: '   ' }, 'u-2', at);
    expect(blank.values).toEqual([0, null, null, 'adverse', null, 'u-2', at]);
  });

  it('reads the rows of the same statement only when asked to', () => {
    expect(progressJson().text).not.toContain('UNION ALL');
    const withPending = progressJson({ pending: sql`progress` });
    expect(withPending.text).toContain('UNION ALL SELECT');
    expect(withPending.text).toContain('FROM progress WHERE referral_id = r.id');
    expect(withPending.values).toEqual([]);
  });

  it('takes every report, or the latest n as a parameter', () => {
    expect(progressJson().text).not.toContain('LIMIT');
    const latest = progressJson({ pending: sql`progress`, latest: 101 });
    expect(latest.text).toMatch(/ORDER BY reported_at DESC, id DESC LIMIT \$1/);
    expect(latest.values).toEqual([101]);
  });

  it('takes `now` as a parameter (the injected clock), never the database clock', () => {
    const due = progressReportsDue(at, 500);
    expect(due.values).toEqual([at, 500]);
    expect(due.text).not.toMatch(/\bnow\(\)|clock_timestamp|current_timestamp/i);
    expect(due.text).toContain(
      "ON CONFLICT (referral_id, ((data->>'period')::int)) WHERE type = 'progress_report_due' DO NOTHING",
    );
  });
});
