import type { ReactNode, Ref } from 'react';
import { api, call } from '../../api/client';
import { Loading } from '../../components/Feedback';
import { useAsync } from '../../lib/hooks';
import { browserZone, zoneLabel } from '../../lib/time-zones';

/**
 * The zone an admin screen shows its times in (`of`: whose it is): the clinic's, or the browser's
 * when the clinic could not be loaded, with why.
 */
export type ShownZone = { timeZone: string; of: 'clinic' } | { timeZone: string; of: 'browser'; error: unknown };

/**
 * The time zone for the admin screens' times: the clinic's (from `GET /clinics/me`), which the
 * browser's may not be; undefined while it loads. Without it (the request failed), the browser's,
 * said as such: the times are still right, and named. (Not the clinic's days, though: a screen
 * that needs those shows the error instead.)
 */
export function useClinicTimeZone(): ShownZone | undefined {
  const clinic = useAsync(async () => (await call(api.GET('/api/v1/clinics/me'))).timezone, []);
  if (clinic.data !== undefined) return { timeZone: clinic.data, of: 'clinic' };
  if (clinic.error !== undefined) return { timeZone: browserZone(), of: 'browser', error: clinic.error };
  return undefined;
}

/** Above a table of times: which zone they are in. */
export function TimesIn({ zone }: { zone: ShownZone }) {
  return (
    <p className="muted small" data-testid="times-zone">
      Times in {zoneLabel(zone.timeZone)}, {zone.of === 'clinic' ? 'the clinic’s time zone' : 'this browser’s time zone'}.
    </p>
  );
}

/**
 * An admin screen's table of times: loading lines until its rows and the clinic's zone are here
 * (none while `quiet`: an error panel above says why), `empty` when there are no rows, else the
 * zone named above the table, each row drawn by `row` with that zone.
 */
export function TimesTable<T>({
  zone,
  rows,
  quiet = false,
  loadingLines,
  empty,
  columns,
  testId,
  labelledBy,
  frameRef,
  row,
}: {
  zone: ShownZone | undefined;
  /** Null or undefined while the first load runs. */
  rows: readonly T[] | null | undefined;
  quiet?: boolean;
  loadingLines: number;
  empty: string;
  /** The column headings. */
  columns: readonly ReactNode[];
  testId?: string;
  /** The heading naming the table: its frame, which scrolls sideways on a narrow screen, is then a focusable region. */
  labelledBy?: string;
  frameRef?: Ref<HTMLDivElement>;
  row: (item: T, timeZone: string) => ReactNode;
}) {
  if (!rows || zone === undefined) return quiet ? null : <Loading lines={loadingLines} />;
  if (rows.length === 0) return <p className="empty">{empty}</p>;
  const region = labelledBy ? ({ tabIndex: 0, role: 'region', 'aria-labelledby': labelledBy } as const) : {};
  return (
    <>
      <TimesIn zone={zone} />
      <div ref={frameRef} className="table-wrap" {...region}>
        <table className="table" data-testid={testId}>
          <thead>
            <tr>
              {columns.map((heading, index) => (
                <th key={index} scope="col">
                  {heading}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>{rows.map((item) => row(item, zone.timeZone))}</tbody>
        </table>
      </div>
    </>
  );
}
