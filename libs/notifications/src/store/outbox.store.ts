import { Injectable } from '@nestjs/common';
import { queryRows, sql } from '@referloop/database';
import type { EntityManager } from 'typeorm';
import type { EventRow } from './dispatch.store';

/** The relay's statement on outbox_events (worker side). */
@Injectable()
export class OutboxStore {
  /**
   * Claims unpublished rows and marks them published, answering each with the facts of its
   * referral (as of now): one statement. `batch`: up to `limit`, oldest first, except the ids in
   * `skip`; `one`: that row, if still unpublished. The rows stay locked until the caller's
   * transaction ends, rows another relay holds are skipped, and a rollback un-marks them. The clinic
   * names are looked up per row: planned for a full batch, joins hashed the whole clinics table
   * twice for the handful of rows a busy relay claims at a time.
   */
  async claim(tx: EntityManager, which: { batch: number; skip: string[] } | { one: string }): Promise<EventRow[]> {
    const rows =
      'one' in which
        ? sql`SELECT id FROM outbox_events WHERE id = ${sql.param(which.one, 'uuid')} AND published_at IS NULL FOR UPDATE SKIP LOCKED`
        : sql`SELECT id FROM outbox_events WHERE published_at IS NULL AND id <> ALL(${sql.param(which.skip, 'uuid[]')})
               ORDER BY created_at LIMIT ${sql.param(which.batch, 'int')} FOR UPDATE SKIP LOCKED`;
    return queryRows<EventRow>(
      tx,
      sql`WITH claimed AS (
            UPDATE outbox_events SET published_at = now() WHERE id IN (${rows})
         RETURNING id, type, referral_id, payload, created_at
          )
          SELECT o.id, o.type, o.referral_id, o.payload, r.sender_id, r.recipient_id, r.sender_clinic_id, r.recipient_clinic_id,
                 r.recipient_invite_id, r.sent_at IS NOT NULL AS sent,
                 (SELECT c.name FROM clinics c WHERE c.id = r.sender_clinic_id) AS sender_clinic,
                 (SELECT c.name FROM clinics c WHERE c.id = r.recipient_clinic_id) AS recipient_clinic,
                 r.priority = 'urgent' AS urgent
            FROM claimed o
            LEFT JOIN referrals r ON r.id = o.referral_id
           ORDER BY o.created_at, o.id`,
      { prepare: true },
    );
  }
}
