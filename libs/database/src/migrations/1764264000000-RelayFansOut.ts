import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The outbox relay now fans events out itself, in the transaction that marks them published; the
 * `notifications` dispatch queue is gone. Events an earlier worker published to that queue but had
 * not fanned out yet (no delivery rows) are un-published, so the new relay fans them out. An event
 * that tells nobody is fanned out once more for nothing: the dedup key keeps any repeat from
 * writing twice. Only the last day: the old queue kept its jobs that long.
 */
export class RelayFansOut1764264000000 implements MigrationInterface {
  name = 'RelayFansOut1764264000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `UPDATE outbox_events o SET published_at = NULL
        WHERE o.published_at > now() - interval '1 day'
          AND NOT EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.outbox_event_id = o.id)`,
    );
  }

  async down(): Promise<void> {
    // Nothing to undo: un-published events are published again by whichever relay runs.
  }
}
