import { Client } from 'pg';
import { createPatient } from './support/referral-helpers';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
  type TestClinic,
} from './support/test-app';

/**
 * Lists as a client pages and searches them: every row once across pages whatever the page size,
 * ties in the sort key included, and searches that answer what was asked (docs/api.md "Lists and
 * pagination", "Errors").
 */
describe('list queries', () => {
  let t: TestApp;
  let sql: Client;
  let clinic: TestClinic;
  let lmt: SignedInUser;

  beforeAll(async () => {
    t = await startTestApp();
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    clinic = await registerClinic(t.http, { city: 'Austin' });
    lmt = await addPractitioner(t.http, clinic, 'massage_therapist', { fullName: 'Casey Kneads' });
  });

  afterAll(async () => {
    await sql?.end();
    await t?.close();
  });

  /** Every item of a list, page by page, with `limit` items a page. */
  async function walk(path: string, user: SignedInUser, limit: number, query: Record<string, string> = {}) {
    const items: { id: string }[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.http
        .get(path)
        .query({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) })
        .set(user.auth)
        .expect(200);
      items.push(...(res.body.items as { id: string }[]));
      cursor = res.body.nextCursor as string | null;
    } while (cursor);
    return items.map((item) => item.id);
  }

  it('pages audit events that share a millisecond once each, in id order, also across 999…→1000…', async () => {
    // The app writes occurred_at from its clock (milliseconds): concurrent requests share one.
    const at = new Date(Date.now() - 3_600_000);
    const ids = Array.from({ length: 12 }, (_, i) => 999_994 + i); // 999994 … 1000005
    const { rows } = await sql.query<{ id: string; uid: string }>(
      `INSERT INTO audit_events (id, occurred_at, actor_id, clinic_id, action, resource_type, outcome)
       OVERRIDING SYSTEM VALUE
       SELECT id, $1, $2, $3, 'patient.read', 'patient', 'success' FROM unnest($4::bigint[]) id
       RETURNING id::text, uid::text`,
      [at, clinic.admin.id, clinic.clinicId, ids],
    );
    const newestFirst = [...rows].sort((a, b) => Number(b.id) - Number(a.id)).map((row) => row.uid);
    const window = { from: at.toISOString(), to: new Date(at.getTime() + 1).toISOString() };
    for (const limit of [1, 2, 5, 7, 100]) {
      expect(await walk('/api/v1/admin/audit-events', clinic.admin, limit, window)).toEqual(newestFirst);
    }
  });

  it('finds patients by every word of q, not only the first four', async () => {
    const anne = await createPatient(t.http, lmt, { firstName: 'Anne', lastName: 'Leeds' });
    const search = async (q: string) => {
      const viaQuery = await t.http.get('/api/v1/patients').query({ q }).set(lmt.auth).expect(200);
      const viaBody = await t.http.post('/api/v1/patients/search').send({ q }).set(lmt.auth).expect(200);
      expect(viaBody.body.items).toEqual(viaQuery.body.items);
      return (viaQuery.body.items as { id: string }[]).map((p) => p.id);
    };
    expect(await search('anne leeds')).toEqual([anne.id]);
    expect(await search('anne leeds anne leeds')).toEqual([anne.id]);
    // A fifth word that no name holds: no patient matches the query.
    expect(await search('anne leeds anne leeds zzzz')).toEqual([]);
    expect(await search('a n n e l e e d s x')).toEqual([]);
  });

  it('reads the directory q and city without the spaces around them, and refuses them blank (400 naming the field)', async () => {
    const names = async (query: Record<string, string>) => {
      const res = await t.http.get('/api/v1/practitioners').query(query).set(lmt.auth).expect(200);
      return (res.body.items as { id: string }[]).map((p) => p.id);
    };
    expect(await names({ q: 'casey kneads' })).toEqual([lmt.id]);
    expect(await names({ q: '  Casey Kneads ' })).toEqual([lmt.id]);
    expect(await names({ q: 'casey', city: ' austin ' })).toEqual([lmt.id]);
    for (const [field, value] of [
      ['q', ' '],
      ['q', ''],
      ['q', '\u200b'],
      ['city', '  '],
      ['postalCode', ' '],
    ]) {
      const res = await t.http
        .get('/api/v1/practitioners')
        .query({ [field]: value })
        .set(lmt.auth);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field, message: 'should not be empty' }]);
    }
  });
});
