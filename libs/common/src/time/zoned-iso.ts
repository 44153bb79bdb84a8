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
  const parts = localParts(instant, timeZone);
  // `longOffset` writes "GMT-07:00", or plain "GMT" at UTC+0.
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : parts.timeZoneName.slice(3);
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

/** The local date, time and offset name Intl reads in `timeZone` at `instant`, by part (`year`, `hour`, `timeZoneName`, …). */
function localParts(instant: Date | number, timeZone: string): Record<string, string> {
  return Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(instant)
      .map((p) => [p.type, p.value]),
  );
}

const QUARTER_HOUR_MS = 15 * 60_000;

/** The zone's offset from UTC at `instant` (ms to add to UTC), from the local time Intl reads there. */
function offsetMsAt(instant: number, timeZone: string): number {
  const { year, month, day, hour, minute, second } = localParts(instant, timeZone);
  const local = Date.UTC(+year, +month - 1, +day, +hour, +minute, +second);
  return local - Math.floor(instant / 1000) * 1000;
}

/** Per zone, its offset through the last quarter hour asked about, and the last day answered. */
const recentDays = new Map<string, { slot: number; offsetMs: number | null; at: number; day: string }>();

/**
 * The calendar day (YYYY-MM-DD) people in `timeZone` read at `instant`: a clinic's "today".
 * Asked on every create and for every row of a referral list (licence checks), so the zone's offset
 * is kept per quarter hour instead of asking Intl each time (~15 µs): zones change offset on
 * quarter-hour instants, and a quarter hour with a change in it (the offset differs at its two
 * ends) is never kept.
 */
export function calendarDayIn(instant: Date, timeZone: string): string {
  const at = instant.getTime();
  const slot = Math.floor(at / QUARTER_HOUR_MS);
  let recent = recentDays.get(timeZone);
  if (recent?.at === at) return recent.day;
  if (recent?.slot !== slot) {
    const start = slot * QUARTER_HOUR_MS;
    const offsetMs = offsetMsAt(start, timeZone);
    recent = {
      slot,
      offsetMs: offsetMs === offsetMsAt(start + QUARTER_HOUR_MS - 1, timeZone) ? offsetMs : null,
      at: NaN,
      day: '',
    };
    recentDays.set(timeZone, recent);
  }
  const offsetMs = recent.offsetMs ?? offsetMsAt(at, timeZone);
  recent.at = at;
  recent.day = new Date(at + offsetMs).toISOString().slice(0, 10);
  return recent.day;
}
