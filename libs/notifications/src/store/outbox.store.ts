import { Injectable } from '@nestjs/common';
import { queryRows, sql } from '@referloop/database';
import type { EntityManager } from 'typeorm';

/** The relay's statements on outbox_events (worker side). */
@Injectable()
export class OutboxStore {
  /** Up to `limit` unpublished rows, oldest first, locked for this transaction; rows another relay holds are skipped. */
  async claimUnpublished(tx: EntityManager, limit: number): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(
      tx,
      sql`SELECT id FROM outbox_events WHERE published_at IS NULL ORDER BY created_at LIMIT ${sql.param(limit, 'int')} FOR UPDATE SKIP LOCKED`,
      { prepare: true },
    );
    return rows.map((row) => row.id);
  }

  async markPublished(tx: EntityManager, ids: string[]): Promise<void> {
    await queryRows(tx, sql`UPDATE outbox_events SET published_at = now() WHERE id = ANY(${sql.param(ids, 'uuid[]')})`, {
      prepare: true,
    });
  }
}
