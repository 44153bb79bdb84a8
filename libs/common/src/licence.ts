import { calendarDayIn } from './time/zoned-iso';

const DAY_MS = 86_400_000;
const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * A licence that has lapsed at `now`, or was never recorded. A licence is good through its expiry
 * day as its holder's clinic reads the calendar (`timeZone`, that clinic's IANA zone): at 8 PM in Los
 * Angeles a licence expiring that day still counts, though UTC is on the next day already. The one
 * rule for every licence check; SQL that filters on it compares with `(now AT TIME ZONE c.timezone)::date`.
 */
export function licenceLapsed(expiresOn: string | null, timeZone: string, now: Date): boolean {
  if (!expiresOn) return true;
  // Every zone's day is within a day of UTC's (UTC-12 to UTC+14): only a licence expiring around
  // today needs the clinic's calendar, which costs an Intl formatting (~30 µs, 50 on a box page).
  if (expiresOn < utcDay(now.getTime() - DAY_MS)) return true;
  if (expiresOn > utcDay(now.getTime() + DAY_MS)) return false;
  return expiresOn < calendarDayIn(now, timeZone);
}
