const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * ISO 8601 with the local time and UTC offset of `timeZone` at that instant, e.g.
 * `2026-12-01T10:00:00-07:00` for America/Denver: the time as the clinic where it happens reads it.
 */
export function isoInTimeZone(instant: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
  // `longOffset` writes "GMT-07:00", or plain "GMT" at UTC+0.
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : parts.timeZoneName.slice(3);
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

/** The calendar day (YYYY-MM-DD) people in `timeZone` read at `instant`: a clinic's "today". */
export function calendarDayIn(instant: Date, timeZone: string): string {
  return isoInTimeZone(instant, timeZone).slice(0, 10);
}
