import { actOk, createPatient, createReferral, injuryReferralBody } from './support/referral-helpers';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
} from './support/test-app';

/** `GET /referrals?sort=priority`: urgent first, then by last update, keyset-paged across pages. */
describe('referral lists sorted by priority', () => {
  let t: TestApp;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  const urgentIds: string[] = [];
  const routineIds: string[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    const massage = await registerClinic(t.http, { name: 'Sunrise Massage' });
    const physio = await registerClinic(t.http, { name: 'Capitol Physio' });
    lmt = await addPractitioner(t.http, massage, 'massage_therapist');
    pt = await addPractitioner(t.http, physio, 'physical_therapist');
    const patient = await createPatient(t.http, lmt);
    // Interleaved, so that by update alone urgent and routine alternate.
    for (let i = 0; i < 7; i++) {
      const urgent = i % 2 === 0;
      const draft = await createReferral(
        t.http,
        lmt,
        injuryReferralBody(patient.id, pt.id, urgent ? { priority: 'urgent' } : {}),
      );
      const sent = await actOk(t.http, lmt, draft, 'send');
      (urgent ? urgentIds : routineIds).push(sent.id);
    }
  });
  afterAll(() => t.close());

  async function allPages(user: SignedInUser, query: Record<string, string>) {
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const res = await t.http
        .get('/api/v1/referrals')
        .query({ ...query, limit: '2', ...(cursor ? { cursor } : {}) })
        .set(user.auth)
        .expect(200);
      ids.push(...(res.body.items as { id: string }[]).map((r) => r.id));
      cursor = res.body.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    return { ids, pages };
  }

  it('lists urgent first, each group newest change first, every referral exactly once across pages', async () => {
    for (const user of [lmt, pt]) {
      const { ids, pages } = await allPages(user, { sort: 'priority' });
      expect(pages).toBe(4);
      expect(ids).toEqual([...[...urgentIds].reverse(), ...[...routineIds].reverse()]);
    }
  });

  it('keeps the default order by last update', async () => {
    const { ids } = await allPages(lmt, {});
    const all = [...urgentIds, ...routineIds];
    expect([...ids].sort()).toEqual([...all].sort());
    expect(ids[0]).toBe(urgentIds.at(-1));
    expect(ids[1]).toBe(routineIds.at(-1));
  });

  it('refuses an unknown sort and a cursor of the other order (400)', async () => {
    expectProblem(await t.http.get('/api/v1/referrals').query({ sort: 'name' }).set(lmt.auth), 400, 'validation_failed');
    const first = await t.http.get('/api/v1/referrals').query({ limit: '2' }).set(lmt.auth).expect(200);
    const mixed = await t.http.get('/api/v1/referrals').query({ sort: 'priority', cursor: first.body.nextCursor }).set(lmt.auth);
    expectProblem(mixed, 400, 'validation_failed');
  });

  it('refuses a priority cursor whose rank is neither urgent nor routine (400 naming cursor)', async () => {
    const first = await t.http.get('/api/v1/referrals').query({ sort: 'priority', limit: '1' }).set(pt.auth).expect(200);
    const [list, firstPageAt, , ...position] = JSON.parse(
      Buffer.from(first.body.nextCursor as string, 'base64url').toString(),
    ) as unknown[];
    for (const rank of [2, 9, -1]) {
      const forged = Buffer.from(JSON.stringify([list, firstPageAt, rank, ...position])).toString('base64url');
      const res = await t.http.get('/api/v1/referrals').query({ sort: 'priority', cursor: forged }).set(pt.auth);
      expectProblem(res, 400, 'validation_failed');
      expect(res.body.errors).toEqual([{ field: 'cursor', message: 'cursor is not valid' }]);
    }
  });

  it('leaves a referral that changes while the sender pages out of the later pages, never shows it twice (updatedSince finds it)', async () => {
    const patient = await createPatient(t.http, lmt, { firstName: 'Drew', lastName: 'Draft' });
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patient.id, pt.id, { priority: 'urgent' }));
    const before = (await allPages(lmt, { sort: 'priority', box: 'sent' })).ids;
    expect(before[0]).toBe(draft.id);

    // The first page holds the urgent draft; made routine, it would sort again at the top of the routine rows.
    const first = await t.http
      .get('/api/v1/referrals')
      .query({ sort: 'priority', box: 'sent', limit: '2' })
      .set(lmt.auth)
      .expect(200);
    expect((first.body.items as { id: string }[]).map((r) => r.id)).toEqual(before.slice(0, 2));
    const edited = await t.http
      .patch(`/api/v1/referrals/${draft.id}`)
      .set(lmt.auth)
      .send({ version: draft.version, priority: 'routine' })
      .expect(200);
    const ids = (first.body.items as { id: string }[]).map((r) => r.id);
    let cursor: string | null = first.body.nextCursor;
    while (cursor) {
      const res = await t.http
        .get('/api/v1/referrals')
        .query({ sort: 'priority', box: 'sent', limit: '2', cursor })
        .set(lmt.auth)
        .expect(200);
      ids.push(...(res.body.items as { id: string }[]).map((r) => r.id));
      cursor = res.body.nextCursor;
    }
    expect(ids).toEqual(before);

    const since = await t.http
      .get('/api/v1/referrals')
      .query({ sort: 'priority', box: 'sent', updatedSince: edited.body.updatedAt })
      .set(lmt.auth)
      .expect(200);
    expect((since.body.items as { id: string; priority: string }[]).map((r) => [r.id, r.priority])).toEqual([
      [draft.id, 'routine'],
    ]);
  });
});
