import { calendarDayIn } from './time/zoned-iso';

/**
 * A licence that has lapsed at `now`, or was never recorded. A licence is good through its expiry
 * day as its holder's clinic reads the calendar (`timeZone`, that clinic's IANA zone): at 8 PM in Los
 * Angeles a licence expiring that day still counts, though UTC is on the next day already. The one
 * rule for every licence check; SQL that filters on it compares with `(now AT TIME ZONE c.timezone)::date`.
 */
export function licenceLapsed(expiresOn: string | null, timeZone: string, now: Date): boolean {
  return !expiresOn || expiresOn < calendarDayIn(now, timeZone);
}
