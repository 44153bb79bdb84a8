import { api, call } from '../../api/client';
import type { Practitioner } from '../../api/types';

/** Every user of the admin's own clinic, deactivated and invited ones included (what the admin manages). */
export async function clinicMembers(): Promise<Practitioner[]> {
  const found: Practitioner[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 20; page++) {
    const result = await call(api.GET('/api/v1/clinics/me/members', { params: { query: { limit: 100, cursor } } }));
    found.push(...result.items);
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  return found;
}

/** A YYYY-MM-DD date (local) as the start of that day, ISO 8601 with zone. */
export const startOfDay = (date: string) => new Date(`${date}T00:00:00`).toISOString();
/** The instant after the last moment of that local day. */
export const endOfDay = (date: string) => {
  const d = new Date(`${date}T00:00:00`);
  d.setDate(d.getDate() + 1);
  return d.toISOString();
};
