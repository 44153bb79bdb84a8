import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { PASSWORD } from '@referloop/testing';
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

/**
 * A database that cannot be reached (stopped, restarting, the network between cut) is an outage,
 * not a bug: requests are answered 503 not_ready with Retry-After, and served again once it is back.
 */
describe('database unreachable', () => {
  /** A TCP relay to PostgreSQL that the test can cut (closing every connection through it) and restore. */
  class Relay {
    private server: Server = createServer();
    private readonly sockets = new Set<Socket>();
    port = 0;

    async open(port = 0): Promise<void> {
      this.server = createServer((client) => {
        const upstream = connect(5432, '127.0.0.1');
        for (const socket of [client, upstream]) {
          this.sockets.add(socket);
          socket.on('error', () => socket.destroy());
          socket.on('close', () => this.sockets.delete(socket));
        }
        client.pipe(upstream).pipe(client);
      });
      await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
      this.port = (this.server.address() as AddressInfo).port;
    }

    async cut(): Promise<void> {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const socket of this.sockets) socket.destroy();
      await closed;
    }
  }

  const relay = new Relay();
  let t: TestApp;
  let lmt: SignedInUser;

  beforeAll(async () => {
    await relay.open();
    t = await startTestApp(
      {},
      {
        configure: (config) => {
          const url = new URL(config.databaseUrl!);
          url.port = String(relay.port);
          return { ...config, databaseUrl: url.toString() };
        },
      },
    );
    lmt = await addPractitioner(t.http, await registerClinic(t.http), 'massage_therapist');
  });
  afterAll(async () => {
    await relay.cut();
    await relay.open(relay.port);
    await t.close();
    await relay.cut();
  });

  it('answers 503 not_ready with Retry-After (never 500) while it is away, and serves again once it is back', async () => {
    await t.http.get('/api/v1/me').set(lmt.auth).expect(200);
    await relay.cut();
    for (const answer of [
      await t.http.get('/api/v1/me').set(lmt.auth),
      await t.http.get('/api/v1/referrals').set(lmt.auth),
      await t.http.post('/api/v1/auth/login').send({ email: lmt.email, password: PASSWORD }),
    ]) {
      expectProblem(answer, 503, 'not_ready');
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    }
    await relay.open(relay.port);
    await t.http.get('/api/v1/me').set(lmt.auth).expect(200);
  });
});
