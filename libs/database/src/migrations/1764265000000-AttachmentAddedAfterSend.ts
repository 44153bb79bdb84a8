import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether a document was added after its referral was sent is decided by the upload, under the
 * referral's lock, and stored. It used to be derived as `created_at > sent_at`, and an upload that
 * waited on a concurrent send's lock kept the time its transaction began, before the send: the
 * referral then showed a post-send document as one of the frozen originals. Existing rows take
 * the truth from the timeline: a document added after sending has its `document_added` event.
 */
export class AttachmentAddedAfterSend1764265000000 implements MigrationInterface {
  name = 'AttachmentAddedAfterSend1764265000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE referral_attachments ADD COLUMN added_after_send boolean NOT NULL DEFAULT false`);
    await q.query(
      `UPDATE referral_attachments a SET added_after_send = true
        WHERE EXISTS (SELECT 1 FROM referral_events e
                       WHERE e.referral_id = a.referral_id AND e.type = 'document_added' AND e.data->>'attachmentId' = a.id::text)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE referral_attachments DROP COLUMN added_after_send`);
  }
}
