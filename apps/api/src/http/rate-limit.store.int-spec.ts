import { randomBytes } from 'node:crypto';
import { createDataSource } from '@referloop/database';
import { createTestDatabase, deleteQueueKeys, TEST_REDIS_URL, type TestDatabase } from '@referloop/testing';
import type { DataSource } from 'typeorm';
import { PostgresRateLimitStore, type RateLimitStore, RedisRateLimitStore } from './rate-limit.store';

// Both counter stores against the real servers: concurrent hits from two "replicas" (two stores
// on one backend) each get a distinct count, and a window that has ended starts again at 1.

describe.each(['postgres', 'redis'] as const)('%s rate-limit store', (backend) => {
  let database: TestDatabase;
  const sources: DataSource[] = [];
  const prefix = `test_${randomBytes(4).toString('hex')}`;
  let replicas: RateLimitStore[];

  beforeAll(async () => {
    database = await createTestDatabase();
    replicas = [];
    for (const applicationName of ['replica-a', 'replica-b']) {
      if (backend === 'postgres') {
        const source = createDataSource({ url: database.url, poolSize: 5, applicationName });
        await source.initialize();
        sources.push(source);
        replicas.push(new PostgresRateLimitStore(source));
      } else {
        replicas.push(new RedisRateLimitStore(TEST_REDIS_URL, prefix));
      }
    }
  });
  afterAll(async () => {
    for (const store of replicas) if (store instanceof RedisRateLimitStore) store.onApplicationShutdown();
    await Promise.all(sources.map((s) => s.destroy()));
    if (backend === 'redis') await deleteQueueKeys(TEST_REDIS_URL, prefix);
    await database.drop();
  });

  it('gives 20 concurrent hits on one key across two replicas the counts 1..20, once each', async () => {
    const windows = await Promise.all(Array.from({ length: 20 }, (_, i) => replicas[i % 2].hit('login:ip:198.51.100.1', 60_000)));
    expect(windows.map((w) => w.hits).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const w of windows) {
      expect(w.resetInMs).toBeGreaterThan(0);
      expect(w.resetInMs).toBeLessThanOrEqual(60_000);
    }
    // Other keys have their own counters.
    await expect(replicas[1].hit('login:ip:198.51.100.2', 60_000)).resolves.toMatchObject({ hits: 1 });
  });

  it('starts a new window once the last one has ended', async () => {
    // A window long enough that two hits fall in it on a loaded machine, then wait for it to end.
    const windowMs = 1_500;
    await replicas[0].hit('reset:account:a', windowMs);
    await expect(replicas[1].hit('reset:account:a', windowMs)).resolves.toMatchObject({ hits: 2 });
    await new Promise((resolve) => setTimeout(resolve, windowMs + 100));
    await expect(replicas[0].hit('reset:account:a', windowMs)).resolves.toMatchObject({ hits: 1 });
  });
});

describe('postgres rate-limit store, a hit that waited on a lock', () => {
  let database: TestDatabase;
  let source: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    source = createDataSource({ url: database.url, poolSize: 3, applicationName: 'rate-limit-lock' });
    await source.initialize();
  });
  afterAll(async () => {
    await source.destroy();
    await database.drop();
  });

  it('reports at most one window left, though the window began after the hit did', async () => {
    // Another hit holds the key's row while ours waits, and opens a window later than ours started:
    // the time left is that window's, measured when our hit is answered.
    const windowMs = 60_000;
    const holder = source.createQueryRunner();
    await holder.connect();
    await holder.startTransaction();
    await holder.query(`INSERT INTO rate_limit_counters (key, hits, expires_at) VALUES ('lock:ip:203.0.113.9', 1, now())`);
    const waiting = new PostgresRateLimitStore(source).hit('lock:ip:203.0.113.9', windowMs);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await holder.query(
      `UPDATE rate_limit_counters SET expires_at = clock_timestamp() + interval '60 seconds' WHERE key = 'lock:ip:203.0.113.9'`,
    );
    await holder.commitTransaction();
    await holder.release();
    const window = await waiting;
    expect(window.hits).toBe(2);
    expect(window.resetInMs).toBeGreaterThan(0);
    expect(window.resetInMs).toBeLessThanOrEqual(windowMs);
  });
});
