import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A follow-up's change is told, about the referral it follows, only to those who see it in that
 * referral's `followUpIds`: the parties of both. A follow-up still a draft is its sender's alone, so
 * the other side of the referral it follows heard of a draft it may never see (made, edited or
 * cancelled) as the same `referral.updated` again and again; and a follow-up sent to someone else
 * told them of a referral they are no party to.
 */
export class LiveFollowUpAudience1764273000000 implements MigrationInterface {
  name = 'LiveFollowUpAudience1764273000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION live_follow_up_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO live_events (type, referral_id, version, status, user_ids, clinic_ids)
        SELECT 'referral.updated', p.id, p.version, p.status, heard.user_ids, heard.clinic_ids
          FROM referrals p
         CROSS JOIN LATERAL (
           SELECT ARRAY(SELECT unnest(CASE WHEN p.sent_at IS NOT NULL AND p.recipient_id IS NOT NULL
                                           THEN ARRAY[p.sender_id, p.recipient_id] ELSE ARRAY[p.sender_id] END)
                        INTERSECT
                        SELECT unnest(CASE WHEN NEW.sent_at IS NOT NULL AND NEW.recipient_id IS NOT NULL
                                           THEN ARRAY[NEW.sender_id, NEW.recipient_id] ELSE ARRAY[NEW.sender_id] END)) AS user_ids,
                  ARRAY(SELECT unnest(CASE WHEN p.sent_at IS NOT NULL AND p.recipient_clinic_id IS NOT NULL
                                           THEN ARRAY[p.sender_clinic_id, p.recipient_clinic_id] ELSE ARRAY[p.sender_clinic_id] END)
                        INTERSECT
                        SELECT unnest(CASE WHEN NEW.sent_at IS NOT NULL AND NEW.recipient_clinic_id IS NOT NULL
                                           THEN ARRAY[NEW.sender_clinic_id, NEW.recipient_clinic_id] ELSE ARRAY[NEW.sender_clinic_id] END)) AS clinic_ids
         ) heard
         WHERE p.id = NEW.previous_id AND (cardinality(heard.user_ids) > 0 OR cardinality(heard.clinic_ids) > 0);
        RETURN NULL;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION live_follow_up_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
  }
}
