/// <reference types="jest" />
import {
  calendarDateInZone,
  dateInZone,
  daysUntil,
  formatAppointment,
  formatDateTimeInZone,
  isoToZonedInput,
  searchText,
  zonedDateTimeToIso,
} from './format';

const year = new Date().getUTCFullYear() + 1;

describe('appointment times in the zone where they happen', () => {
  it('names the zone and the place, and the abbreviation follows DST (America/Denver leaves DST on the first Sunday of November)', () => {
    // 2026-11-01 is that Sunday: 1:30 AM happens twice, first in MDT (UTC−6), then in MST (UTC−7).
    expect(formatAppointment('2026-11-01T07:30:00.000Z', 'America/Denver')).toMatch(/^Sun, Nov 1, 1:30\sAM MDT$/);
    expect(formatAppointment('2026-11-01T08:30:00.000Z', 'America/Denver')).toMatch(/^Sun, Nov 1, 1:30\sAM MST$/);
    expect(formatAppointment(`${year}-12-01T17:00:00.000Z`, 'America/Denver', 'Summit PT')).toMatch(
      /^\w{3}, Dec 1, 10:00\sAM MST \(Summit PT's time\)$/,
    );
    expect(formatAppointment(`${year}-07-01T17:00:00.000Z`, 'America/Denver', 'Peaks Physios')).toMatch(
      /11:00\sAM MDT \(Peaks Physios' time\)$/,
    );
    expect(formatAppointment(null, 'America/Denver')).toBe('—');
  });

  it('shows the same instant as each clinic reads it, whatever the viewer', () => {
    const at = `${year}-01-15T16:00:00.000Z`;
    expect(formatAppointment(at, 'America/Denver')).toMatch(/9:00\sAM MST$/);
    expect(formatAppointment(at, 'America/Chicago')).toMatch(/10:00\sAM CST$/);
  });

  it("reads a typed time on the clinic's clocks, with the offset in force on that date", () => {
    expect(zonedDateTimeToIso('2026-10-31T10:00', 'America/Denver')).toBe('2026-10-31T16:00:00.000Z');
    expect(zonedDateTimeToIso('2026-11-02T10:00', 'America/Denver')).toBe('2026-11-02T17:00:00.000Z');
    expect(zonedDateTimeToIso('2026-11-01T10:00', 'America/Denver')).toBe('2026-11-01T17:00:00.000Z');
    // Twice on the night clocks go back: the first one (MDT).
    expect(zonedDateTimeToIso('2026-11-01T01:30', 'America/Denver')).toBe('2026-11-01T07:30:00.000Z');
    // Skipped on the night clocks go forward (2:00 → 3:00 on 2027-03-14): an hour later, 3:30 AM MDT.
    expect(zonedDateTimeToIso('2027-03-14T02:30', 'America/Denver')).toBe('2027-03-14T09:30:00.000Z');
    expect(zonedDateTimeToIso('2026-06-01T09:15', 'Asia/Kolkata')).toBe('2026-06-01T03:45:00.000Z');
  });

  it('moves a skipped time later and takes a doubled time first east of UTC too, half-hour changes included', () => {
    // Berlin skips 2:00-3:00 on 2027-03-28: 2:30 is 3:30 AM CEST (UTC+2), not 1:30 AM CET.
    expect(zonedDateTimeToIso('2027-03-28T02:30', 'Europe/Berlin')).toBe('2027-03-28T01:30:00.000Z');
    // And lives 2:00-3:00 twice on 2026-10-25: first in CEST.
    expect(zonedDateTimeToIso('2026-10-25T02:30', 'Europe/Berlin')).toBe('2026-10-25T00:30:00.000Z');
    // Lord Howe jumps half an hour (2:00 → 2:30, UTC+10:30 → +11): 2:15 is 2:45.
    expect(zonedDateTimeToIso('2026-10-04T02:15', 'Australia/Lord_Howe')).toBe('2026-10-03T15:45:00.000Z');
    // Chatham skips 2:45-3:45 (UTC+12:45 → +13:45): 3:00 is 4:00; and lives 2:45-3:45 twice on 2026-04-05.
    expect(zonedDateTimeToIso('2026-09-27T03:00', 'Pacific/Chatham')).toBe('2026-09-26T14:15:00.000Z');
    expect(zonedDateTimeToIso('2026-04-05T03:00', 'Pacific/Chatham')).toBe('2026-04-04T13:15:00.000Z');
    for (const [value, zone, shown] of [
      ['2027-03-28T02:30', 'Europe/Berlin', '2027-03-28T03:30'],
      ['2026-10-04T02:15', 'Australia/Lord_Howe', '2026-10-04T02:45'],
      ['2026-10-04T02:30', 'Australia/Sydney', '2026-10-04T03:30'],
      ['2026-03-29T01:30', 'Antarctica/Troll', '2026-03-29T03:30'],
    ]) {
      expect(isoToZonedInput(new Date(zonedDateTimeToIso(value, zone)), zone)).toBe(shown);
    }
  });

  it('round-trips a typed time through the API form', () => {
    for (const value of ['2026-11-01T00:30', '2026-11-01T03:00', '2027-03-14T03:00', '2026-12-31T23:59']) {
      expect(isoToZonedInput(new Date(zonedDateTimeToIso(value, 'America/Denver')), 'America/Denver')).toBe(value);
    }
  });
});

describe('dateInZone', () => {
  it("is the zone's calendar day, counted in days across months", () => {
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Kiritimati' }).format(new Date());
    expect(dateInZone('Pacific/Kiritimati')).toBe(today);
    // UTC+14 and UTC-10 are a day apart at any moment.
    expect(dateInZone('Pacific/Kiritimati', -1)).toBe(dateInZone('Pacific/Honolulu'));
    const [y, m, d] = today.split('-').map(Number);
    expect(dateInZone('Pacific/Kiritimati', -d)).toBe(new Date(Date.UTC(y, m - 1, 0)).toISOString().slice(0, 10));
  });
});

describe('calendarDateInZone', () => {
  it("is the zone's calendar date of an instant, not the UTC date", () => {
    // 8 PM in Chicago on Nov 30 is already Dec 1 in UTC.
    expect(calendarDateInZone('2026-12-01T02:00:00.000Z', 'America/Chicago')).toBe('2026-11-30');
    expect(calendarDateInZone('2026-12-01T02:00:00.000Z', 'Asia/Kolkata')).toBe('2026-12-01');
    // Ahead of UTC: the next day there while still the last day of the year in UTC.
    expect(calendarDateInZone('2026-12-31T20:00:00.000Z', 'Pacific/Auckland')).toBe('2027-01-01');
    // Midnight on the zone's clocks is that day, not the one before.
    expect(calendarDateInZone('2026-07-01T05:00:00.000Z', 'America/Chicago')).toBe('2026-07-01');
    expect(calendarDateInZone('2026-07-01T04:59:00.000Z', 'America/Chicago')).toBe('2026-06-30');
  });
});

describe('formatDateTimeInZone', () => {
  it("shows an instant on the zone's clocks, with the date there, and names the zone as DST has it", () => {
    expect(formatDateTimeInZone('2026-12-01T14:15:00.000Z', 'America/Chicago')).toMatch(/^Dec 1, 2026, 8:15\sAM CST$/);
    expect(formatDateTimeInZone('2026-07-01T14:15:00.000Z', 'America/Chicago')).toMatch(/^Jul 1, 2026, 9:15\sAM CDT$/);
    // Still the evening before in Chicago, already morning in Kolkata (no short name there: its offset).
    expect(formatDateTimeInZone('2026-12-01T03:00:00.000Z', 'America/Chicago')).toMatch(/^Nov 30, 2026, 9:00\sPM CST$/);
    expect(formatDateTimeInZone('2026-12-01T03:00:00.000Z', 'Asia/Kolkata')).toMatch(/^Dec 1, 2026, 8:30\sAM GMT\+5:30$/);
    expect(formatDateTimeInZone(null, 'America/Chicago')).toBe('—');
    expect(formatDateTimeInZone(undefined, 'America/Chicago')).toBe('—');
  });
});

describe("searchText: what the referral list's search compares, as the API's searches do", () => {
  it('ignores letter case and accents, composed or not: "jose" finds José, "nunez" Núñez', () => {
    const stored = searchText('José Núñez');
    for (const typed of ['jose', 'JOSÉ', 'nunez', 'Nu\u0301n\u0303ez', 'jose\u0301']) expect(stored).toContain(searchText(typed));
    expect(searchText('Jose\u0301 Zoë')).toBe('jose zoe');
    expect(searchText('Straße Łukasz Ødegaard Æsir')).toBe('strasse lukasz odegaard aesir');
    expect(searchText('李小龍 عبد الله')).toBe('李小龍 عبد الله');
  });
});

describe('daysUntil', () => {
  it("counts from today on the clinic's calendar, not UTC's nor the browser's", () => {
    // 04:00 UTC on Dec 2 is 8 PM on Dec 1 in Los Angeles: a licence expiring Dec 1 has its last day there.
    const evening = new Date('2026-12-02T04:00:00Z');
    expect(daysUntil('2026-12-01', 'America/Los_Angeles', evening)).toBe(0);
    expect(daysUntil('2026-12-01', 'UTC', evening)).toBe(-1);
    // 20:00 UTC on Dec 2 is 9 AM on Dec 3 in Auckland: a licence that expired Dec 2 lapsed yesterday.
    const morning = new Date('2026-12-02T20:00:00Z');
    expect(daysUntil('2026-12-02', 'Pacific/Auckland', morning)).toBe(-1);
    expect(daysUntil('2026-12-31', 'Pacific/Auckland', morning)).toBe(28);
  });
});
