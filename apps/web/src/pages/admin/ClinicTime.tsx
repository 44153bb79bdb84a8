import { api, call } from '../../api/client';
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
