import { Injectable } from '@nestjs/common';
import { AppError, isoInTimeZone, type Principal } from '@referloop/common';
import { ClinicsService } from '@referloop/identity';

/** The metrics and the export look at the last 30 days unless told otherwise. */
export const DEFAULT_WINDOW_MS = 30 * 86_400_000;

export interface TimeWindowInput {
  /** ISO 8601 date-time with a zone, or a calendar date (from the start of that day); inclusive. */
  from?: string;
  /** ISO 8601 date-time with a zone (exclusive), or a calendar date (that day included). */
  to?: string;
}

export interface TimeWindow {
  from: Date;
  to: Date;
}

/** A window with the zone its calendar dates were read in (the clinic's, or UTC for date-times). */
export interface ZonedTimeWindow extends TimeWindow {
  timeZone: string;
}

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether the window names a calendar date, which is read in the clinic's zone. */
export const namesCalendarDate = (input: TimeWindowInput): boolean =>
  [input.from, input.to].some((value) => value !== undefined && CALENDAR_DATE.test(value));

/**
 * The instants the input names, none assumed. A calendar date is a day in `timeZone` (the
 * clinic's): `from` starts at its midnight, `to` takes the whole day. `from` after `to` is a 400.
 */
export function resolveBounds(input: TimeWindowInput, timeZone = 'UTC'): Partial<TimeWindow> {
  const instant = (value: string, dayEnd: boolean): Date => {
    if (!CALENDAR_DATE.test(value)) return new Date(value);
    return startOfDay(dayEnd ? nextDay(value) : value, timeZone);
  };
  const bounds = {
    from: input.from === undefined ? undefined : instant(input.from, false),
    to: input.to === undefined ? undefined : instant(input.to, true),
  };
  if (bounds.from && bounds.to) assertOrdered(bounds.from, bounds.to);
  return bounds;
}

/** [from, to) of {@link resolveBounds}: `to` defaults to now, `from` to 30 days before `to`. */
export function resolveWindow(input: TimeWindowInput, now: Date, timeZone = 'UTC'): TimeWindow {
  const { from, to = now } = resolveBounds(input, timeZone);
  const window = { from: from ?? new Date(to.getTime() - DEFAULT_WINDOW_MS), to };
  // A `from` alone may still be after now.
  assertOrdered(window.from, window.to);
  return window;
}

/** The first and the last calendar day a window covers in its zone (`to` is exclusive): what a file is named after. */
export function coveredDays({ from, to, timeZone }: ZonedTimeWindow): [string, string] {
  const day = (instant: number) => isoInTimeZone(new Date(instant), timeZone).slice(0, 10);
  return [day(from.getTime()), day(Math.max(from.getTime(), to.getTime() - 1))];
}

function assertOrdered(from: Date, to: Date): void {
  if (from.getTime() > to.getTime()) throw AppError.validation([{ field: 'from', message: 'must not be after to' }]);
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** The instant `day` begins in `timeZone` (its midnight, or the first instant after, where clocks skip midnight). */
export function startOfDay(day: string, timeZone: string): Date {
  const wallMidnight = Date.parse(`${day}T00:00:00Z`);
  const local = (instant: number) => isoInTimeZone(new Date(instant), timeZone);
  const offsetAt = (instant: number) => Date.parse(`${local(instant).slice(0, 19)}Z`) - instant;
  // Midnight at the offset of the day before, then at the offset that gives; where the clocks
  // jump over midnight the second lands on the day before, and the first is the day's start.
  const guess = wallMidnight - offsetAt(wallMidnight);
  const corrected = wallMidnight - offsetAt(guess);
  return new Date(local(corrected).startsWith(day) ? corrected : guess);
}

/** The window a request names, for the caller's clinic: its zone is looked up only for a calendar date. */
@Injectable()
export class TimeWindows {
  constructor(private readonly clinics: ClinicsService) {}

  async of(principal: Principal, input: TimeWindowInput, now: Date): Promise<ZonedTimeWindow> {
    const timeZone = await this.zoneFor(principal, input);
    return { ...resolveWindow(input, now, timeZone), timeZone };
  }

  async bounds(principal: Principal, input: TimeWindowInput): Promise<Partial<TimeWindow>> {
    return resolveBounds(input, await this.zoneFor(principal, input));
  }

  private async zoneFor(principal: Principal, input: TimeWindowInput): Promise<string> {
    return namesCalendarDate(input) ? (await this.clinics.getOwn(principal)).timezone : 'UTC';
  }
}
