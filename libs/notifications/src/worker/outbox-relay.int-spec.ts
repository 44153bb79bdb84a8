import { createDataSource, OUTBOX_RELAY_LOCK } from '@referloop/database';
import { createTestDatabase, deleteQueueKeys, TEST_REDIS_URL, type TestDatabase, testConfig } from '@referloop/testing';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { type DispatchJob, NOTIFICATIONS_QUEUE } from '../notification-queue';
import { OutboxStore } from '../store/outbox.store';
import { OutboxRelay } from './outbox-relay';

// PostgreSQL serialises the commits of notifying transactions, so writers NOTIFY only while an
// idle relay holds OUTBOX_RELAY_LOCK; a busy relay polls. The sweep is set to a minute here, so
// only a NOTIFY or the relay's own polling can publish anything within these tests' waits.

describe('OutboxRelay wake-ups', () => {
  let db: TestDatabase;
  let source: DataSource;
  let listener: Client;
  let notified = 0;
  const config = () => testConfig(db.url, { OUTBOX_SWEEP_INTERVAL: '60s' });
  let prefix: string;
  let redis: Redis;
  let queue: Queue<DispatchJob>;

  const insert = (n = 1) =>
    source.query(`INSERT INTO outbox_events (type, payload) SELECT 'test.event', '{}'::jsonb FROM generate_series(1, $1)`, [n]);
  const unpublished = async () =>
    Number((await source.query<{ n: string }[]>(`SELECT count(*) AS n FROM outbox_events WHERE published_at IS NULL`))[0].n);
  // Advisory locks are per database; other test files run relays on their own databases meanwhile.
  const relayHoldsLock = async () =>
    (
      await source.query<{ n: string }[]>(
        `SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'referloop-outbox-listener'
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND (l.classid::bigint << 32 | l.objid::bigint) = $1::bigint`,
        [OUTBOX_RELAY_LOCK],
      )
    )[0].n === '1';
  async function until(check: () => Promise<boolean>, timeoutMs = 3_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error('timed out');
      await delay(20);
    }
  }
  const startRelay = () => {
    const relay = new OutboxRelay(source, queue, config(), new OutboxStore());
    relay.onApplicationBootstrap();
    return relay;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    source = createDataSource({ url: db.url, poolSize: 4, applicationName: 'outbox-relay-check' });
    await source.initialize();
    listener = new Client({ connectionString: db.url });
    await listener.connect();
    listener.on('notification', () => notified++);
    await listener.query('LISTEN outbox_events');
    prefix = config().queuePrefix;
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null });
    queue = new Queue<DispatchJob>(NOTIFICATIONS_QUEUE, { connection: redis, prefix });
  });
  afterAll(async () => {
    await queue?.close();
    redis?.disconnect();
    await deleteQueueKeys(TEST_REDIS_URL, prefix);
    await listener?.end();
    await source?.destroy();
    await db?.drop();
  });

  it('with no relay running, writers send no NOTIFY', async () => {
    notified = 0;
    await insert(3);
    await insert(2);
    await delay(200);
    expect(notified).toBe(0);
  });

  it('an idle relay holds the lock and is woken at once by a commit', async () => {
    const relay = startRelay();
    try {
      // Start-up drains the five rows above, then the relay settles and waits.
      await until(async () => (await unpublished()) === 0 && (await relayHoldsLock()));
      notified = 0;
      await insert();
      await until(async () => (await unpublished()) === 0, 1_000);
      expect(notified).toBe(1);
    } finally {
      await relay.onApplicationShutdown();
    }
  });

  it('a busy relay lets the lock go and polls: a stream of commits publishes with few NOTIFYs, then it waits again', async () => {
    const relay = startRelay();
    try {
      await until(() => relayHoldsLock());
      notified = 0;
      const commits = 200;
      for (let i = 0; i < commits; i++) {
        await insert();
        if (i % 20 === 0) await delay(5);
      }
      await until(async () => (await unpublished()) === 0);
      expect(notified).toBeGreaterThan(0);
      expect(notified).toBeLessThan(commits / 4);
      await until(() => relayHoldsLock());
      const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed']);
      expect(jobs.reduce((n, job) => n + job.data.outboxEventIds.length, 0)).toBeGreaterThanOrEqual(commits);
      // Batches, not one job per commit.
      expect(jobs.length).toBeLessThan(commits / 2);
    } finally {
      await relay.onApplicationShutdown();
    }
  });
});
