import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AppError } from '@referloop/common';
import { isLockNotAvailable } from '@referloop/database';
import { DataSource, type EntityManager } from 'typeorm';

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
 * first is still running after a few seconds the repeat gets 409 idempotency_in_progress.
 */
@Injectable()
export class IdempotencyStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

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
        const claimed: unknown[] = await tx.query(
          `INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body)
           VALUES ($1, $2, $3, 0, 'null') ON CONFLICT DO NOTHING RETURNING key`,
          [userId, key, requestHash],
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
