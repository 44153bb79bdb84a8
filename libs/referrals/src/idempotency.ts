import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, Clock } from '@referloop/common';
import { isLockNotAvailable } from '@referloop/database';
import { DataSource, type EntityManager } from 'typeorm';
import { IdempotencyKeys } from './store/idempotency-keys';

/** How long a stored answer is kept: it holds PHI (the referral as answered). An older key counts as new. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/** How long a request with a key still in flight is waited for before answering 409. */
const IN_PROGRESS_WAIT = '5s' as const;

export interface StoredResponse<T> {
  status: number;
  body: T;
  /** True when this answer was replayed from an earlier request with the same key. */
  replayed: boolean;
}

/** JSON with sorted keys, so the same body always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The creates that honour an Idempotency-Key. A key stands for one request: the same key sent to another one is 422. */
export type IdempotentOperation = 'referral.create' | 'referral.message' | 'patient.create';

/**
 * Idempotency-Key handling, scoped to (user, key), for the API's creates (a referral, a message, a
 * patient; the table is this lib's, the timers job deletes old rows). The key row is inserted in the same
 * transaction as the work, so a crash leaves nothing behind and a retry runs again. A repeat that
 * arrives while the first is running waits on that row, then replays the stored answer; if the
 * first is still running after a few seconds the repeat gets 409 idempotency_in_progress. An
 * answer older than {@link IDEMPOTENCY_TTL_MS} is not replayed: the key is claimed anew (and the
 * timers job deletes such rows).
 */
@Injectable()
export class IdempotencyStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly clock: Clock,
  ) {}

  async run<T>(
    userId: string,
    key: string,
    request: { operation: IdempotentOperation; body: unknown },
    status: number,
    work: (tx: EntityManager) => Promise<T>,
  ): Promise<StoredResponse<T>> {
    // The operation (with the referral, for a message) is hashed with the body: the same key on another request is a reuse.
    const requestHash = createHash('sha256').update(canonicalJson(request)).digest('hex');
    try {
      return await this.db.transaction(async (tx) => {
        await IdempotencyKeys.lockTimeout(tx, IN_PROGRESS_WAIT);
        const now = this.clock.now();
        // A new key, or one whose stored answer has expired, is claimed by this request.
        const claimed = await IdempotencyKeys.claim(tx, {
          userId,
          key,
          requestHash,
          now,
          expiredBefore: new Date(now.getTime() - IDEMPOTENCY_TTL_MS),
        });
        if (!claimed) {
          const stored = await IdempotencyKeys.stored<T>(tx, userId, key);
          if (stored.requestHash !== requestHash) {
            throw new AppError('idempotency_key_reused', 'This Idempotency-Key was already used for a different request');
          }
          return { status: stored.status, body: stored.body, replayed: true };
        }
        // Only the wait for another request's key is bounded: this request's own work is not cut short.
        await IdempotencyKeys.lockTimeout(tx, null);
        const body = await work(tx);
        await IdempotencyKeys.save(tx, userId, key, status, body);
        return { status, body, replayed: false };
      });
    } catch (error) {
      if (isLockNotAvailable(error)) {
        throw new AppError(
          'idempotency_in_progress',
          'A request with this Idempotency-Key is still being processed; retry shortly',
        );
      }
      throw error;
    }
  }
}
