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

  /**
   * After the queue store lost its data: events published within `window` that have no delivery
   * rows yet are un-published, so the relay publishes them again. Answers how many.
   */
  async republishUndispatched(manager: EntityManager, window: '24 hours'): Promise<number> {
    const rows = await queryRows(
      manager,
      sql`UPDATE outbox_events o SET published_at = NULL
           WHERE o.published_at > now() - ${sql.param(window, 'interval')}
             AND NOT EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.outbox_event_id = o.id)
       RETURNING o.id`,
    );
    return rows.length;
  }
}
