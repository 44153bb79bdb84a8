import { licenceLapsed } from './licence';

describe('licenceLapsed', () => {
  it("counts the expiry day on the holder's clinic's calendar, not UTC's", () => {
    // 04:00 UTC on Dec 2 is 8 PM on Dec 1 in Los Angeles: a licence expiring Dec 1 still counts there.
    const evening = new Date('2026-12-02T04:00:00Z');
    expect(licenceLapsed('2026-12-01', 'America/Los_Angeles', evening)).toBe(false);
    expect(licenceLapsed('2026-12-01', 'UTC', evening)).toBe(true);
    // 20:00 UTC on Dec 2 is 9 AM on Dec 3 in Auckland: a licence that expired Dec 2 lapsed yesterday there.
    const morning = new Date('2026-12-02T20:00:00Z');
    expect(licenceLapsed('2026-12-02', 'Pacific/Auckland', morning)).toBe(true);
    expect(licenceLapsed('2026-12-03', 'Pacific/Auckland', morning)).toBe(false);
    expect(licenceLapsed('2026-12-02', 'UTC', morning)).toBe(false);
  });

  it("answers for a licence far from its expiry alike in every zone, and around today by each zone's own day", () => {
    const now = new Date('2026-12-02T04:00:00Z');
    for (const zone of ['Pacific/Kiritimati', 'Etc/GMT+12', 'UTC']) {
      expect(licenceLapsed('2026-11-29', zone, now)).toBe(true);
      expect(licenceLapsed('2026-12-04', zone, now)).toBe(false);
    }
    // Around today each zone reads its own day: Kiritimati (UTC+14) is on Dec 2 at 18:00, GMT-12 on Dec 1 at 16:00.
    expect(licenceLapsed('2026-12-01', 'Pacific/Kiritimati', now)).toBe(true);
    expect(licenceLapsed('2026-11-30', 'Etc/GMT+12', now)).toBe(true);
    expect(licenceLapsed('2026-12-01', 'Etc/GMT+12', now)).toBe(false);
    expect(licenceLapsed('2026-12-02', 'Pacific/Kiritimati', now)).toBe(false);
  });

  it('treats a licence never recorded as lapsed', () => {
    expect(licenceLapsed(null, 'America/Los_Angeles', new Date('2026-12-02T04:00:00Z'))).toBe(true);
  });
});
