import { queryRows, sql } from '@referloop/database';
import type { EntityManager } from 'typeorm';

/**
 * The statements on idempotency_keys, inside the caller's transaction (the key row commits with
 * the work it guards). The deletion of expired rows is a timer's (`ReferralTimerStore`).
 */
export const IdempotencyKeys = {
  /**
   * How long this transaction waits for a row lock (a repeat waits on the first request's key row);
   * `null` sets the server's default back, for the work the key guards.
   */
  async lockTimeout(tx: EntityManager, timeout: '5s' | null): Promise<void> {
    await tx.query(timeout === null ? 'SET LOCAL lock_timeout TO DEFAULT' : `SET LOCAL lock_timeout = '${timeout}'`);
  },

  /** Claims the key for this request (new, or its stored answer created at or before `expiredBefore`). */
  async claim(
    tx: EntityManager,
    k: { userId: string; key: string; requestHash: string; now: Date; expiredBefore: Date },
  ): Promise<boolean> {
    const claimed = await queryRows(
      tx,
      sql`INSERT INTO idempotency_keys (user_id, key, request_hash, response_status, response_body, created_at)
          VALUES (${sql.param(k.userId, 'uuid')}, ${k.key}, ${k.requestHash}, 0, 'null', ${sql.param(k.now, 'timestamptz')})
          ON CONFLICT (user_id, key) DO UPDATE
             SET request_hash = EXCLUDED.request_hash, response_status = 0, response_body = 'null', created_at = EXCLUDED.created_at
           WHERE idempotency_keys.created_at <= ${sql.param(k.expiredBefore, 'timestamptz')}
          RETURNING key`,
    );
    return claimed.length > 0;
  },

  async stored<T>(tx: EntityManager, userId: string, key: string): Promise<{ requestHash: string; status: number; body: T }> {
    const [stored] = await queryRows<{ requestHash: string; status: number; body: T }>(
      tx,
      sql`SELECT request_hash AS "requestHash", response_status AS status, response_body AS body
            FROM idempotency_keys WHERE user_id = ${sql.param(userId, 'uuid')} AND key = ${key}`,
    );
    return stored;
  },

  async save(tx: EntityManager, userId: string, key: string, status: number, body: unknown): Promise<void> {
    await queryRows(
      tx,
      sql`UPDATE idempotency_keys SET response_status = ${sql.param(status, 'int')}, response_body = ${sql.param(JSON.stringify(body), 'jsonb')}
           WHERE user_id = ${sql.param(userId, 'uuid')} AND key = ${key}`,
    );
  },
};
