import { IsPastCalendarDate, isTimeZone, VISIBLE_CHARACTER } from './validators';

describe('VISIBLE_CHARACTER (what makes text not blank)', () => {
  it.each([
    ['white space', ' \t\n\u00a0\u3000'],
    ['format characters', '\u200b\u200e\u2060\ufeff'],
    ['combining marks alone', '\u0301\u0301'],
    ['the grapheme joiner', '\u034f\u034f'],
    ['variation selectors', '\ufe0f\ufe0f'],
    ['Hangul fillers', '\u3164\u3164\u115f\u1160\uffa0'],
    ['the blank braille pattern', '\u2800\u2800'],
  ])('finds nothing visible in %s', (_name, text) => {
    expect(VISIBLE_CHARACTER.test(text)).toBe(false);
  });

  it.each([
    ['a word', 'Neck'],
    ['an accented letter', 'é'],
    ['Hangul', '한'],
    ['a digit', '7'],
    ['an emoji', '🙂'],
    ['a braille letter', '\u2801'],
  ])('finds %s visible', (_name, text) => {
    expect(VISIBLE_CHARACTER.test(text)).toBe(true);
  });
});

describe('isTimeZone', () => {
  it.each([
    'America/Chicago',
    'UTC',
    'Asia/Calcutta',
    'Asia/Kolkata',
    'Europe/Kyiv',
    'America/Argentina/Buenos_Aires',
    'Etc/UTC',
    'Asia/Ho_Chi_Minh',
    'US/Eastern',
    'Etc/GMT+5',
    'America/Argentina/ComodRivadavia',
  ])('takes %s (ICU spelling or IANA spelling)', (zone) => {
    expect(isTimeZone(zone)).toBe(true);
  });

  it.each([
    'america/new_york',
    'ASIA/CALCUTTA',
    // Case variants of the IANA spellings Intl does not list (it ignores case when it resolves them).
    'asia/kolkata',
    'Asia/KOLKATA',
    'europe/kyiv',
    'ETC/UTC',
    'us/eastern',
    'Mars/Olympus_Mons',
    'EST',
    'GMT',
    '',
    ' UTC',
    'Asia/../Kolkata',
    `Asia/${'K'.repeat(80)}`,
  ])('refuses %j', (zone) => {
    expect(isTimeZone(zone)).toBe(false);
  });
});

describe('IsPastCalendarDate (a date of birth, an onset)', () => {
  afterEach(() => jest.useRealTimers());

  it('takes today wherever it is already today: an Auckland morning is the evening before in UTC', () => {
    jest.useFakeTimers({ now: new Date('2026-12-02T20:00:00Z') });
    const check = new IsPastCalendarDate();
    // 9 AM on December 3 in Auckland (UTC+13), 10 AM in Kiritimati (UTC+14).
    expect(check.validate('2026-12-03')).toBe(true);
    expect(check.validate('2026-12-02')).toBe(true);
    expect(check.validate('2026-12-04')).toBe(false);
  });
});
