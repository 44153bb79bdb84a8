const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A calendar date (YYYY-MM-DD) as the user reads dates, without shifting it across time zones. */
export function formatDate(date: string | null | undefined): string {
  if (!date) return '—';
  const [y, m, d] = date.slice(0, 10).split('-').map(Number);
  return dateFormat.format(new Date(y, m - 1, d));
}

/** The day of an instant (an ISO date-time) on the viewer's clocks, as formatDateTime shows its time. */
export function formatDayOf(iso: string | null | undefined): string {
  return iso ? dateFormat.format(new Date(iso)) : '—';
}

const monthDayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** A calendar date (YYYY-MM-DD) without its year, "Nov 2", as a chart's axis names it. */
export function formatMonthDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return monthDayFormat.format(new Date(y, m - 1, d));
}

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTimeFormat.format(new Date(iso)) : '—';
}

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = seconds / 60;
  if (minutes < 60) return `${Math.round(minutes)} min`;
  const hours = minutes / 60;
  if (hours < 48) return `${hours.toFixed(hours < 10 ? 1 : 0)} h`;
  return `${(hours / 24).toFixed(1)} days`;
}

/** A configured period (a reminder or escalation threshold): "4 days", "1 day", "12 h" — no decimals when whole. */
export function formatPeriod(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return '—';
  const days = seconds / 86_400;
  if (days >= 1 && Number.isInteger(days)) return days === 1 ? '1 day' : `${days} days`;
  const hours = seconds / 3_600;
  if (Number.isInteger(hours)) return `${hours} h`;
  return formatDuration(seconds);
}

export function formatPercent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : `${Math.round(rate * 1000) / 10}%`;
}

/**
 * Today in `timeZone` plus `days`, as YYYY-MM-DD: a clinic's calendar day, which the browser's may
 * not be (an admin abroad, or just past midnight on one side).
 */
export function dateInZone(timeZone: string, days = 0): string {
  return zonedDate(new Date(), timeZone, days);
}

/**
 * The calendar date (YYYY-MM-DD) of the instant `iso` in `timeZone`: the clinic's day when it
 * happened, which the UTC date in `iso` may not be (an evening in the Americas is already tomorrow in UTC).
 */
export function calendarDateInZone(iso: string, timeZone: string): string {
  return zonedDate(new Date(iso), timeZone, 0);
}

/** The date people in `timeZone` read at `instant`, plus `days`, as YYYY-MM-DD. */
function zonedDate(instant: Date, timeZone: string, days: number): string {
  const { year, month, day } = wallClock(instant, timeZone);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** Today plus `days`, as YYYY-MM-DD in the user's time zone. */
export function localDate(days = 0): string {
  const date = new Date();
  date.setDate(date.getDate() + days);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

const appointmentFormats = new Map<string, Intl.DateTimeFormat>();
const wallClockFormats = new Map<string, Intl.DateTimeFormat>();

function cached(cache: Map<string, Intl.DateTimeFormat>, key: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let format = cache.get(key);
  if (!format) cache.set(key, (format = make()));
  return format;
}

/**
 * An appointment as it reads where it happens, with the zone named whatever the viewer's own zone:
 * "Tue, Dec 1, 10:00 AM MST (Summit PT's time)". Every appointment time in the app goes through here.
 */
export function formatAppointment(iso: string | null | undefined, timeZone: string, placeName?: string): string {
  if (!iso) return '—';
  const format = cached(
    appointmentFormats,
    timeZone,
    () =>
      new Intl.DateTimeFormat('en-US', {
        timeZone,
        weekday: 'short',
        month: 'short',
        day: 'numeric',
        hour: 'numeric',
        minute: '2-digit',
        timeZoneName: 'short',
      }),
  );
  const text = format.format(new Date(iso));
  return placeName ? `${text} (${possessive(placeName)} time)` : text;
}

const zonedDateTimeFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant on the clocks of `timeZone` (the clinic's, not the browser's), with the zone named:
 * "Dec 1, 2026, 8:15 AM CST"; the offset where the zone has no short name ("7:45 PM GMT+5:30").
 */
export function formatDateTimeInZone(iso: string | null | undefined, timeZone: string): string {
  if (!iso) return '—';
  const format = cached(
    zonedDateTimeFormats,
    timeZone,
    () =>
      new Intl.DateTimeFormat('en-US', {
        timeZone,
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: 'numeric',
        minute: '2-digit',
        timeZoneName: 'short',
      }),
  );
  return format.format(new Date(iso));
}

const possessive = (name: string) => (/s$/i.test(name) ? `${name}'` : `${name}'s`);

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

/** The calendar date and clock time that people in `timeZone` read at `instant`. */
function wallClock(instant: Date, timeZone: string): WallClock {
  const format = cached(
    wallClockFormats,
    timeZone,
    () =>
      new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
      }),
  );
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, Number(p.value)]));
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute };
}

/** How far `timeZone`'s clocks are ahead of UTC at `instant`, in ms (whole minutes). */
function offsetAt(instant: number, timeZone: string): number {
  const w = wallClock(new Date(instant), timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute) - Math.floor(instant / 60_000) * 60_000;
}

/**
 * A `datetime-local` value read as a wall-clock time in `timeZone` (the clinic where the appointment
 * happens, not the browser's zone), as ISO 8601 UTC for the API. Across a DST change, as the clocks
 * do, east or west of UTC: a time they skip (2:30 AM on a spring-forward night) is read with the
 * offset before the change, so it lands as much later as they jumped (3:30 AM); a time that
 * happens twice is its first occurrence, also with the offset before the change.
 */
export function zonedDateTimeToIso(value: string, timeZone: string): string {
  const [date, time] = value.split('T');
  const [y, m, d] = date.split('-').map(Number);
  const [hh, mm] = time.split(':').map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  // The offsets a day either side: a change between them is the only one this time can fall in.
  const before = offsetAt(wall - 86_400_000, timeZone);
  const after = offsetAt(wall + 86_400_000, timeZone);
  const first = wall - before;
  // In force at the instant it names: the time happens with that offset (first, if twice).
  if (offsetAt(first, timeZone) === before) return new Date(first).toISOString();
  const second = wall - after;
  if (offsetAt(second, timeZone) === after) return new Date(second).toISOString();
  // Skipped: read on the clocks as they were before they jumped.
  return new Date(first).toISOString();
}

/** An instant as a `datetime-local` value (YYYY-MM-DDTHH:MM) on the clocks of `timeZone`. */
export function isoToZonedInput(instant: Date, timeZone: string): string {
  const w = wallClock(instant, timeZone);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${w.year}-${two(w.month)}-${two(w.day)}T${two(w.hour)}:${two(w.minute)}`;
}

/**
 * Days from today in `timeZone` until a YYYY-MM-DD date (negative when past): a licence's days left
 * count on its holder's clinic's calendar, as the API's `licenceExpired` does, not the browser's.
 */
export function daysUntil(date: string, timeZone: string, now: Date = new Date()): number {
  const utcDay = (iso: string) => {
    const [y, m, d] = iso.split('-').map(Number);
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((utcDay(date) - utcDay(zonedDate(now, timeZone, 0))) / 86_400_000);
}

export const fullName = (p: { firstName: string; lastName: string }) => `${p.firstName} ${p.lastName}`;

/** Letters that carry no separate accent to drop, written as the API's search (PostgreSQL's unaccent) reads them. */
const PLAIN_LETTERS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ı: 'i' };

/**
 * Text as a search compares it, ignoring letter case and accents as the API's searches do: "jose"
 * finds "José", whether its "é" is one character or "e" and a combining accent.
 */
export function searchText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[ßæœøłđı]/g, (letter) => PLAIN_LETTERS[letter]);
}

/** A change on the 0–10 pain scale, signed ("−2", "+1", "0"); "—" without data. */
export function formatPainChange(change: number | null | undefined): string {
  if (change === null || change === undefined) return '—';
  const rounded = Math.round(change * 10) / 10;
  return rounded > 0 ? `+${rounded}` : rounded < 0 ? `−${-rounded}` : '0';
}
