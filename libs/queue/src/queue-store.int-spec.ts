import { createTestDatabase, TEST_REDIS_URL, type TestDatabase, testConfig } from '@referloop/testing';
import { Redis } from 'ioredis';
import { bullConnection, prepareQueueStore, QueueStoreProbe, redisConnectionOptions, redisOptionsFromUrl } from './queue-store';

// The queue store behind BullMQ: Redis when REDIS_URL is set, PostgreSQL otherwise.

/** A loopback port nothing listens on. */
const CLOSED_REDIS = 'redis://127.0.0.1:1';

describe('queue store', () => {
  let database: TestDatabase;
  const probes: QueueStoreProbe[] = [];
  const probeFor = (env: Record<string, string> = {}) => {
    const probe = new QueueStoreProbe(testConfig(database.url, env));
    probes.push(probe);
    return probe;
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(probes.map((p) => p.close()));
    await database.drop();
  });

  describe('QueueStoreProbe.ping', () => {
    it('answers for Redis', async () => {
      const probe = probeFor();
      expect(probe.kind).toBe('redis');
      await expect(probe.ping()).resolves.toBeUndefined();
      // A second ping reuses the connection.
      await expect(probe.ping()).resolves.toBeUndefined();
    });

    it('fails for an unreachable Redis, and closes without hanging', async () => {
      const probe = probeFor({ REDIS_URL: CLOSED_REDIS });
      await expect(probe.ping()).rejects.toThrow();
      await expect(probe.ping()).rejects.toThrow();
      // Resolves at once, and leaves no reconnect loop behind (one would keep Jest from exiting).
      await expect(probe.close()).resolves.toBeUndefined();
    });

    it('answers for PostgreSQL once the queue tables exist, and not before', async () => {
      const config = testConfig(database.url, { REDIS_URL: '' });
      expect(config.redisUrl).toBeUndefined();
      const probe = probeFor({ REDIS_URL: '' });
      expect(probe.kind).toBe('postgres');
      // The file's queue schema (its QUEUE_PREFIX) has not been created yet.
      const fresh = new QueueStoreProbe(config);
      probes.push(fresh);
      await expect(fresh.ping()).rejects.toThrow(/does not exist/);

      await prepareQueueStore(config);
      const ready = new QueueStoreProbe(config);
      probes.push(ready);
      await expect(ready.ping()).resolves.toBeUndefined();
      // Preparing again is harmless (every start runs it).
      await expect(prepareQueueStore(config)).resolves.toBeUndefined();
      await expect(ready.ping()).resolves.toBeUndefined();
    });

    it('fails for an unreachable PostgreSQL', async () => {
      const probe = new QueueStoreProbe(testConfig('postgres://postgres@127.0.0.1:1/referloop_test_nowhere', { REDIS_URL: '' }));
      probes.push(probe);
      await expect(probe.ping()).rejects.toThrow();
    });
  });

  describe('connections', () => {
    it('a producer connection fails fast when Redis is down instead of queueing the command', async () => {
      const redis = new Redis({ ...redisConnectionOptions(CLOSED_REDIS, 'producer'), retryStrategy: () => null });
      redis.on('error', () => undefined);
      try {
        await expect(redis.set('referloop:test', '1')).rejects.toThrow();
      } finally {
        redis.disconnect();
      }
    });

    it('a producer fails fast and a worker blocks, as BullMQ requires', () => {
      expect(redisConnectionOptions(TEST_REDIS_URL, 'producer')).toMatchObject({
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        connectTimeout: expect.any(Number),
      });
      expect(redisConnectionOptions(TEST_REDIS_URL, 'worker')).toMatchObject({ maxRetriesPerRequest: null });
      expect(redisConnectionOptions(TEST_REDIS_URL, 'worker')).not.toHaveProperty('enableOfflineQueue', false);
    });

    it('reads host, port, credentials, database and TLS from the URL', () => {
      expect(redisOptionsFromUrl('rediss://user%40x:p%3Ass@cache.example:6380/3')).toEqual({
        host: 'cache.example',
        port: 6380,
        username: 'user@x',
        password: 'p:ss',
        db: 3,
        tls: {},
      });
      expect(redisOptionsFromUrl('redis://localhost')).toMatchObject({ host: 'localhost', port: 6379, db: 0, tls: undefined });
    });

    it('the PostgreSQL backend uses the database and a schema named after the queue prefix', () => {
      const config = testConfig(database.url, { REDIS_URL: '', QUEUE_PREFIX: 'test_prefix_x' });
      expect(bullConnection(config, 'worker')).toMatchObject({ connectionString: database.url, schema: 'test_prefix_x' });
    });
  });
});
