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
