import { createPostgresBackend, Queue, type QueueOptions, runMigrations, setDefaultBackendFactory } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { Client } from 'pg';
import type { AppConfig } from '@referloop/config';
import { sql } from '@referloop/database';

/**
 * Where BullMQ keeps its jobs: Redis when REDIS_URL is set, otherwise BullMQ's PostgreSQL
 * backend in the application database (the embedded default). This file is the one place
 * that knows which; everything else asks it for a connection.
 */
export type QueueBackendKind = 'redis' | 'postgres';

/**
 * `producer`: the HTTP path. Fails fast when Redis is down (the outbox keeps the intent), and when
 * it hangs: a Redis that stops answering on an open connection (a stalled host, a network
 * partition) fails each command after PRODUCER_COMMAND_TIMEOUT_MS instead of holding the request.
 * `worker`: blocking consumers. BullMQ requires `maxRetriesPerRequest: null` there.
 */
export type QueueConnectionPurpose = 'producer' | 'worker';

export function queueBackendKind(config: AppConfig): QueueBackendKind {
  return config.redisUrl ? 'redis' : 'postgres';
}

export function redisOptionsFromUrl(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = parsed.pathname.replace('/', '');
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: db ? Number(db) : 0,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}

const PRODUCER_COMMAND_TIMEOUT_MS = 2_000;

export function redisConnectionOptions(url: string, purpose: QueueConnectionPurpose): RedisOptions {
  const base = redisOptionsFromUrl(url);
  return purpose === 'worker'
    ? { ...base, maxRetriesPerRequest: null }
    : {
        ...base,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        connectTimeout: PRODUCER_COMMAND_TIMEOUT_MS,
        commandTimeout: PRODUCER_COMMAND_TIMEOUT_MS,
      };
}

/** PostgreSQL backend: a schema named after the queue prefix isolates deployments and test files. */
export function postgresConnectionOptions(config: AppConfig) {
  if (!config.databaseUrl) throw new Error('the PostgreSQL queue backend needs the database URL');
  return { connectionString: config.databaseUrl, schema: config.queuePrefix, max: 10, skipMigrations: true };
}

/**
 * Selects the process-wide BullMQ backend. Must run before any Queue or Worker is built;
 * QueueModule.forRoot calls it.
 */
export function selectQueueBackend(config: AppConfig): QueueBackendKind {
  const kind = queueBackendKind(config);
  setDefaultBackendFactory(kind === 'postgres' ? (createPostgresBackend as never) : undefined);
  return kind;
}

export function bullConnection(config: AppConfig, purpose: QueueConnectionPurpose) {
  return queueBackendKind(config) === 'redis'
    ? redisConnectionOptions(config.redisUrl as string, purpose)
    : postgresConnectionOptions(config);
}

/**
 * A handle on queue `name` for adding or reading jobs outside the worker's processors (a producer:
 * it fails at once while Redis is down), on this deployment's backend and key prefix.
 */
export function producerQueue<T>(
  config: AppConfig,
  name: string,
  options: Omit<QueueOptions, 'connection' | 'prefix'> = {},
): Queue<T> {
  const queue = new Queue<T>(name, {
    ...options,
    connection: bullConnection(config, 'producer') as never,
    ...(queueBackendKind(config) === 'redis' ? { prefix: config.queuePrefix } : {}),
  });
  // Its commands fail on their own (the caller answers for that: readiness says "down"). Without a
  // listener BullMQ prints each reconnect's error, stack and all, to stderr, outside the JSON log.
  queue.on('error', () => undefined);
  return queue;
}

/** Creates or upgrades BullMQ's own tables when jobs live in PostgreSQL. Run once, by the migrate step. */
export async function prepareQueueStore(config: AppConfig): Promise<void> {
  if (queueBackendKind(config) !== 'postgres') return;
  const client = new Client({ connectionString: config.databaseUrl });
  await client.connect();
  try {
    await runMigrations(client, config.queuePrefix);
  } finally {
    await client.end();
  }
}

/** A small dedicated connection to check that the queue store answers (readiness). */
export class QueueStoreProbe {
  private redis?: Redis;
  private pgClient?: Client;
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly config: AppConfig) {}

  get kind(): QueueBackendKind {
    return queueBackendKind(this.config);
  }

  async ping(): Promise<void> {
    if (this.kind === 'redis') {
      if (!this.redis) {
        this.redis = new Redis({ ...redisConnectionOptions(this.config.redisUrl as string, 'producer'), lazyConnect: true });
        // A failed ping rejects; without a listener ioredis would also print each reconnect's error.
        this.redis.on('error', () => undefined);
      }
      if (this.redis.status === 'wait') await this.redis.connect();
      await this.redis.ping();
      return;
    }
    if (!this.pgClient) {
      const client = new Client({ connectionString: this.config.databaseUrl, connectionTimeoutMillis: 2_000 });
      client.on('error', () => {
        if (this.pgClient === client) this.pgClient = undefined;
      });
      await client.connect();
      this.pgClient = client;
    }
    // The schema is the configured prefix (validated at start-up: lowercase letters, digits, underscores).
    const prefix = this.config.queuePrefix;
    const probe = sql`SELECT 1 FROM ${sql.identifier([prefix], prefix)}.migration LIMIT 1`;
    await this.pgClient.query(probe.text, [...probe.values]);
  }

  /** Waiting, active, delayed and failed jobs per queue, for operators (readiness details). */
  async jobCounts(queueNames: readonly string[]): Promise<Record<string, Record<string, number>>> {
    const entries = await Promise.all(
      queueNames.map(async (name) => {
        let queue = this.queues.get(name);
        if (!queue) {
          queue = producerQueue(this.config, name);
          this.queues.set(name, queue);
        }
        return [name, await queue.getJobCounts('waiting', 'active', 'delayed', 'failed')] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  /**
   * BullMQ loses jobs if Redis evicts keys under memory pressure. Returns a warning unless the
   * policy is `noeviction` (null when fine, or when the policy cannot be read, e.g. managed Redis).
   */
  async evictionWarning(): Promise<string | null> {
    if (this.kind !== 'redis') return null;
    await this.ping();
    try {
      const [, policy] = (await this.redis!.config('GET', 'maxmemory-policy')) as [string, string];
      return policy && policy !== 'noeviction'
        ? `Redis maxmemory-policy is "${policy}": set it to "noeviction", or queued notifications can be lost under memory pressure`
        : null;
    } catch {
      return null;
    }
  }

  async close(): Promise<void> {
    // disconnect(), not quit(): quit() cannot be sent while Redis is unreachable (offline queue
    // off), and the client then keeps reconnecting forever, which keeps the process alive.
    this.redis?.disconnect();
    await Promise.allSettled([this.pgClient?.end(), ...[...this.queues.values()].map((q) => q.close())]);
    this.redis = undefined;
    this.pgClient = undefined;
    this.queues.clear();
  }
}
