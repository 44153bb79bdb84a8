import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The live updates' journal (`GET /events`): one row per change a signed-in user's open stream is
 * told about, written by triggers in the same transaction as the change, so every API replica reads
 * the same ordered list (the bigint identity is the stream's event id, `Last-Event-ID` resumes from
 * it). Ids and statuses only, never patient data. Who may hear of a row is stored with it: the users
 * (`user_ids`) and the clinics whose admins may (`clinic_ids`), following the referral's parties (the
 * recipient side only once sent). Rows are pruned after a few minutes by the API.
 *
 * Each trigger inserts after a write to its own table in the same transaction, so the writing
 * transaction already holds its xid when the row's id is drawn (the reader's gap check relies on it).
 */
export class LiveEvents1764259000000 implements MigrationInterface {
  name = 'LiveEvents1764259000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE live_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        type text NOT NULL CONSTRAINT live_events_type_check
          CHECK (type IN ('referral.updated', 'notification.created', 'message.created')),
        referral_id uuid,
        version integer,
        status text,
        notification_id uuid,
        user_ids uuid[] NOT NULL,
        clinic_ids uuid[] NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);

    // A referral: created, or its version, status or visibility (sent, recipient) changed.
    await q.query(`
      CREATE FUNCTION live_referral_updated() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO live_events (type, referral_id, version, status, user_ids, clinic_ids)
        VALUES ('referral.updated', NEW.id, NEW.version, NEW.status,
                CASE WHEN NEW.sent_at IS NOT NULL AND NEW.recipient_id IS NOT NULL
                     THEN ARRAY[NEW.sender_id, NEW.recipient_id] ELSE ARRAY[NEW.sender_id] END,
                CASE WHEN NEW.sent_at IS NOT NULL AND NEW.recipient_clinic_id IS NOT NULL
                     THEN ARRAY[NEW.sender_clinic_id, NEW.recipient_clinic_id] ELSE ARRAY[NEW.sender_clinic_id] END);
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER live_referral_inserted AFTER INSERT ON referrals
        FOR EACH ROW EXECUTE FUNCTION live_referral_updated()`);
    await q.query(`
      CREATE TRIGGER live_referral_updated AFTER UPDATE ON referrals
        FOR EACH ROW WHEN (OLD.version IS DISTINCT FROM NEW.version OR OLD.status IS DISTINCT FROM NEW.status
                           OR OLD.sent_at IS DISTINCT FROM NEW.sent_at OR OLD.recipient_id IS DISTINCT FROM NEW.recipient_id)
        EXECUTE FUNCTION live_referral_updated()`);

    // A message of a referral's conversation (a timeline event of type 'message').
    await q.query(`
      CREATE FUNCTION live_message_created() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO live_events (type, referral_id, user_ids, clinic_ids)
        SELECT 'message.created', r.id,
               CASE WHEN r.sent_at IS NOT NULL AND r.recipient_id IS NOT NULL
                    THEN ARRAY[r.sender_id, r.recipient_id] ELSE ARRAY[r.sender_id] END,
               CASE WHEN r.sent_at IS NOT NULL AND r.recipient_clinic_id IS NOT NULL
                    THEN ARRAY[r.sender_clinic_id, r.recipient_clinic_id] ELSE ARRAY[r.sender_clinic_id] END
          FROM referrals r WHERE r.id = NEW.referral_id;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER live_message_created AFTER INSERT ON referral_events
        FOR EACH ROW WHEN (NEW.type = 'message') EXECUTE FUNCTION live_message_created()`);

    // An in-app notification, for its user only.
    await q.query(`
      CREATE FUNCTION live_notification_created() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO live_events (type, notification_id, user_ids, clinic_ids)
        VALUES ('notification.created', NEW.id, ARRAY[NEW.user_id], '{}');
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER live_notification_created AFTER INSERT ON notifications
        FOR EACH ROW EXECUTE FUNCTION live_notification_created()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER live_notification_created ON notifications`);
    await q.query(`DROP TRIGGER live_message_created ON referral_events`);
    await q.query(`DROP TRIGGER live_referral_updated ON referrals`);
    await q.query(`DROP TRIGGER live_referral_inserted ON referrals`);
    await q.query(`DROP FUNCTION live_notification_created()`);
    await q.query(`DROP FUNCTION live_message_created()`);
    await q.query(`DROP FUNCTION live_referral_updated()`);
    await q.query(`DROP TABLE live_events`);
  }
}
