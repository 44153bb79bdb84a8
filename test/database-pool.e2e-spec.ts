import { Client } from 'pg';
import { DataSource, type QueryRunner } from 'typeorm';
import { act, countRows, createPatient, createReferral, injuryReferralBody } from './support/referral-helpers';
import {
  addPractitioner,
  expectProblem,
  registerClinic,
  type SignedInUser,
  startTestApp,
  type TestApp,
} from './support/test-app';

/**
 * A saturated database pool is a capacity problem, not a bug: a request that cannot get a
 * connection in time is answered 503 not_ready with Retry-After (never 500), writes nothing, and
 * the same request succeeds once a connection is free again.
 */
describe('database pool exhausted', () => {
  let t: TestApp;
  let sql: Client;
  let lmt: SignedInUser;
  let pt: SignedInUser;
  let patientId: string;

  beforeAll(async () => {
    // One connection, and a short wait for it, so a test can hold the whole pool.
    t = await startTestApp({ DATABASE_POOL_SIZE: '1', DATABASE_POOL_WAIT: '300ms' });
    sql = new Client({ connectionString: t.database.url });
    await sql.connect();
    lmt = await addPractitioner(t.http, await registerClinic(t.http), 'massage_therapist');
    pt = await addPractitioner(t.http, await registerClinic(t.http), 'physical_therapist');
    patientId = (await createPatient(t.http, lmt)).id;
  });
  afterAll(async () => {
    await sql.end();
    await t.close();
  });

  /** Takes the API's only pooled connection until released. */
  async function holdThePool(): Promise<QueryRunner> {
    const holder = t.app.get(DataSource).createQueryRunner();
    await holder.connect();
    return holder;
  }

  it('answers 503 not_ready problem+json with Retry-After while no connection is free, and writes nothing', async () => {
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    const eventsBefore = await countRows(sql, 'referral_events', 'referral_id = $1', [draft.id]);
    const referralsBefore = await countRows(sql, 'referrals');

    const holder = await holdThePool();
    let answers;
    try {
      answers = {
        send: await act(t.http, lmt, draft.id, 'send', draft.version),
        create: await t.http.post('/api/v1/referrals').set(lmt.auth).send(injuryReferralBody(patientId, pt.id)),
        read: await t.http.get(`/api/v1/referrals/${draft.id}`).set(lmt.auth),
      };
    } finally {
      await holder.release();
    }
    for (const res of Object.values(answers)) {
      expectProblem(res, 503, 'not_ready');
      expect(res.headers['retry-after']).toBe('1');
      expect(JSON.stringify(res.body)).not.toMatch(/timeout exceeded|pg-pool|connect/i);
    }

    const { rows } = await sql.query(`SELECT status, version FROM referrals WHERE id = $1`, [draft.id]);
    expect(rows).toEqual([{ status: 'draft', version: draft.version }]);
    expect(await countRows(sql, 'referral_events', 'referral_id = $1', [draft.id])).toBe(eventsBefore);
    expect(await countRows(sql, 'referrals')).toBe(referralsBefore);
  });

  it('serves the same request again once the connection is free', async () => {
    const draft = await createReferral(t.http, lmt, injuryReferralBody(patientId, pt.id));
    const holder = await holdThePool();
    let refused;
    try {
      refused = await act(t.http, lmt, draft.id, 'send', draft.version);
    } finally {
      await holder.release();
    }
    expectProblem(refused, 503, 'not_ready');

    const sent = await act(t.http, lmt, draft.id, 'send', draft.version);
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ id: draft.id, status: 'sent', version: draft.version + 1 });
  });

  it('keeps answering /health/live, which needs no connection', async () => {
    const holder = await holdThePool();
    try {
      await t.http.get('/health/live').expect(200);
    } finally {
      await holder.release();
    }
  });
});
