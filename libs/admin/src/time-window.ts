import { AppError } from '@referloop/common';

/** The metrics and the export look at the last 30 days unless told otherwise. */
export const DEFAULT_WINDOW_MS = 30 * 86_400_000;

export interface TimeWindowInput {
  /** ISO 8601 date-time with a zone; inclusive. */
  from?: string;
  /** ISO 8601 date-time with a zone; exclusive. */
  to?: string;
}

export interface TimeWindow {
  from: Date;
  to: Date;
}

/** [from, to): `to` defaults to now, `from` to 30 days before `to`. `from` after `to` is a 400. */
export function resolveWindow(input: TimeWindowInput, now: Date): TimeWindow {
  const to = input.to ? new Date(input.to) : now;
  const from = input.from ? new Date(input.from) : new Date(to.getTime() - DEFAULT_WINDOW_MS);
  if (from.getTime() > to.getTime()) {
    throw AppError.validation([{ field: 'from', message: 'must not be after to' }]);
  }
  return { from, to };
}
