import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A referral's view lists the referrals that follow it up (`followUps`, the care chain): when one is
 * made, sent or changes status, whoever has the followed-up referral open hears of that referral
 * too (`referral.updated` with its own id, version and status, to its own parties), and reads it
 * again. Before, the chain showed only after a reload.
 */
export class LiveFollowUps1764271000000 implements MigrationInterface {
  name = 'LiveFollowUps1764271000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION live_follow_up_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO live_events (type, referral_id, version, status, user_ids, clinic_ids)
        SELECT 'referral.updated', p.id, p.version, p.status,
               CASE WHEN p.sent_at IS NOT NULL AND p.recipient_id IS NOT NULL
                    THEN ARRAY[p.sender_id, p.recipient_id] ELSE ARRAY[p.sender_id] END,
               CASE WHEN p.sent_at IS NOT NULL AND p.recipient_clinic_id IS NOT NULL
                    THEN ARRAY[p.sender_clinic_id, p.recipient_clinic_id] ELSE ARRAY[p.sender_clinic_id] END
          FROM referrals p WHERE p.id = NEW.previous_id;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER live_follow_up_inserted AFTER INSERT ON referrals
        FOR EACH ROW WHEN (NEW.previous_id IS NOT NULL) EXECUTE FUNCTION live_follow_up_changed()`);
    await q.query(`
      CREATE TRIGGER live_follow_up_updated AFTER UPDATE ON referrals
        FOR EACH ROW WHEN (NEW.previous_id IS NOT NULL
                           AND (OLD.sent_at IS DISTINCT FROM NEW.sent_at OR OLD.status IS DISTINCT FROM NEW.status))
        EXECUTE FUNCTION live_follow_up_changed()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER live_follow_up_updated ON referrals`);
    await q.query(`DROP TRIGGER live_follow_up_inserted ON referrals`);
    await q.query(`DROP FUNCTION live_follow_up_changed()`);
  }
}
