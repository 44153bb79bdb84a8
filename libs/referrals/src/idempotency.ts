import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError, Clock } from '@referloop/common';
import { isLockNotAvailable } from '@referloop/database';
import { DataSource, type EntityManager } from 'typeorm';

/** How long a stored answer is kept: it holds PHI (the referral as answered). An older key counts as new. */
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;

/** How long a request with a key still in flight is waited for before answering 409. */
const IN_PROGRESS_WAIT = '5s';

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

/**
 * Idempotency-Key handling, scoped to (user, key). The key row is inserted in the same
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
    requestBody: unknown,
    status: number,
    work: (tx: EntityManager) => Promise<T>,
  ): Promise<StoredResponse<T>> {
    const requestHash = createHash('sha256').update(canonicalJson(requestBody)).digest('hex');
    try {
      return await this.db.transaction(async (tx) => {
        await tx.query(`SET LOCAL lock_timeout = '${IN_PROGRESS_WAIT}'`);
        const now = this.clock.now();
        // A new key, or one whose stored answer has expired, is claimed by this request.
        const claimed: unknown[] = await tx.query(
          `INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body, created_at)
           VALUES ($1, $2, $3, 0, 'null', $4)
           ON CONFLICT (user_id, key) DO UPDATE
              SET request_hash = EXCLUDED.request_hash, response_status = 0, response_body = 'null', created_at = EXCLUDED.created_at
            WHERE idempotency_keys.created_at <= $5
           RETURNING key`,
          [userId, key, requestHash, now, new Date(now.getTime() - IDEMPOTENCY_TTL_MS)],
        );
        if (claimed.length === 0) {
          const [stored]: { request_hash: string; response_status: number; response_body: T }[] = await tx.query(
            `SELECT request_hash, response_status, response_body FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
            [userId, key],
          );
          if (stored.request_hash !== requestHash) {
            throw new AppError('idempotency_key_reused', 'This Idempotency-Key was already used with a different request body');
          }
          return { status: stored.response_status, body: stored.response_body, replayed: true };
        }
        const body = await work(tx);
        await tx.query(`UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE user_id = $1 AND key = $2`, [
          userId,
          key,
          status,
          JSON.stringify(body),
        ]);
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
