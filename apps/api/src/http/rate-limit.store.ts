import type { OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '@referloop/config';
import { queryRows, sql } from '@referloop/database';
import { redisConnectionOptions } from '@referloop/queue';
import { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';

/** One fixed window of a counter after a hit: hits so far in it, and when it ends. */
export interface RateLimitWindow {
  hits: number;
  resetInMs: number;
}

/**
 * Rate-limit counters shared by every API replica: in Redis when REDIS_URL is set, otherwise in
 * PostgreSQL (the embedded default). Each hit is one atomic round trip.
 */
export abstract class RateLimitStore {
  /** Counts a hit on `key` in its current window of `windowMs` (a new window starts when the last one ended). */
  abstract hit(key: string, windowMs: number): Promise<RateLimitWindow>;
}

/** INCR and the window's expiry set on its first hit, in one script: atomic across replicas. */
const HIT_SCRIPT = `
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if hits == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}`;

export class RedisRateLimitStore extends RateLimitStore implements OnApplicationShutdown {
  private readonly redis: Redis;
  /** The first connection attempt, awaited by every hit that arrives while it is being made. */
  private connecting?: Promise<void>;

  constructor(
    redisUrl: string,
    /** Namespaces the keys like the queues' (QUEUE_PREFIX), so deployments and test files can share a Redis. */
    private readonly prefix: string,
  ) {
    super();
    // Fail fast like the queue producers: a request never hangs on an unreachable Redis.
    this.redis = new Redis({ ...redisConnectionOptions(redisUrl, 'producer'), lazyConnect: true });
    this.redis.on('error', () => undefined);
  }

  async hit(key: string, windowMs: number): Promise<RateLimitWindow> {
    // connect() once only: after that ioredis reconnects by itself (a second connect() while it
    // is reconnecting would start a second loop that disconnect() cannot stop).
    if (this.redis.status === 'wait') this.connecting = this.redis.connect();
    if (this.connecting) {
      try {
        await this.connecting;
      } finally {
        this.connecting = undefined;
      }
    }
    const [hits, ttl] = (await this.redis.eval(HIT_SCRIPT, 1, `${this.prefix}:ratelimit:${key}`, windowMs)) as [number, number];
    return { hits, resetInMs: ttl };
  }

  onApplicationShutdown(): void {
    this.redis.disconnect();
  }
}

/**
 * One hit on a PostgreSQL counter (the database's clock decides the windows, the same for every
 * replica): a new window when the last one ended. Runs on every rate-limited request: prepared.
 * The time left is measured at the answer (clock_timestamp), not at the transaction's start: a hit
 * that waited on another's row lock began before that window did, and would report more than a window.
 */
const hitSql = (key: string, windowMs: number) => {
  const window = sql`make_interval(secs => ${sql.param(windowMs, 'numeric')}::float8 / 1000)`;
  return sql`INSERT INTO rate_limit_counters AS c (key, hits, expires_at) VALUES (${sql.param(key, 'text')}, 1, now() + ${window})
             ON CONFLICT (key) DO UPDATE SET
               hits = CASE WHEN c.expires_at <= now() THEN 1 ELSE c.hits + 1 END,
               expires_at = CASE WHEN c.expires_at <= now() THEN now() + ${window} ELSE c.expires_at END
             RETURNING c.hits, greatest(0, extract(epoch FROM c.expires_at - clock_timestamp()) * 1000)::int AS reset_in_ms`;
};

/** Expired counters are deleted at most this often per process. */
const SWEEP_EVERY_MS = 60_000;

export class PostgresRateLimitStore extends RateLimitStore {
  private lastSweep = 0;

  constructor(private readonly db: DataSource) {
    super();
  }

  async hit(key: string, windowMs: number): Promise<RateLimitWindow> {
    const [row] = await queryRows<{ hits: number; reset_in_ms: number }>(this.db.manager, hitSql(key, windowMs), {
      prepare: true,
    });
    await this.sweep();
    return { hits: row.hits, resetInMs: row.reset_in_ms };
  }

  private async sweep(): Promise<void> {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    await queryRows(this.db.manager, sql`DELETE FROM rate_limit_counters WHERE expires_at < now()`);
  }
}

/** How many counters {@link ProcessRateLimitCounters} keeps; the oldest goes first when full. */
const PROCESS_COUNTERS_CAPACITY = 10_000;

/**
 * Fixed windows in this process's memory: what the rate-limit guard counts in while the shared
 * store cannot be reached, so an outage of Redis (or PostgreSQL) does not lift the limits. Each
 * replica then counts on its own, which at worst multiplies the limit by the number of replicas.
 * Windows run on the monotonic clock; at capacity the counter created first is dropped.
 */
export class ProcessRateLimitCounters {
  private readonly windows = new Map<string, { hits: number; endsAt: number }>();

  constructor(
    private readonly capacity = PROCESS_COUNTERS_CAPACITY,
    private readonly now: () => number = () => performance.now(),
  ) {}

  hit(key: string, windowMs: number): RateLimitWindow {
    const now = this.now();
    const current = this.windows.get(key);
    if (current && current.endsAt > now) {
      current.hits += 1;
      return { hits: current.hits, resetInMs: current.endsAt - now };
    }
    // A new window goes to the end of the insertion order, so the first key is the oldest window.
    this.windows.delete(key);
    if (this.windows.size >= this.capacity) this.windows.delete(this.windows.keys().next().value as string);
    this.windows.set(key, { hits: 1, endsAt: now + windowMs });
    return { hits: 1, resetInMs: windowMs };
  }

  get size(): number {
    return this.windows.size;
  }
}

export function createRateLimitStore(config: AppConfig, db: DataSource): RateLimitStore {
  return config.redisUrl ? new RedisRateLimitStore(config.redisUrl, config.queuePrefix) : new PostgresRateLimitStore(db);
}
