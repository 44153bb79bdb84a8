import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Referring someone not on ReferLoop: a referral names a pending invite instead of a recipient
 * until someone joins through its link. One pending invite per (sender clinic, address), shared by
 * every referral to it; only the link token's SHA-256 is stored (the token is an HMAC of id and version).
 */
export class ReferralInvites1764255000000 implements MigrationInterface {
  name = 'ReferralInvites1764255000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE referral_invites (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        sender_clinic_id uuid NOT NULL CONSTRAINT referral_invites_sender_clinic_id_fkey REFERENCES clinics(id),
        email text NOT NULL,
        full_name text NOT NULL,
        role text NOT NULL CONSTRAINT referral_invites_role_check CHECK (role IN ('massage_therapist', 'physical_therapist')),
        token_hash text NOT NULL CONSTRAINT referral_invites_token_hash_key UNIQUE,
        token_version integer NOT NULL DEFAULT 1,
        joined_user_id uuid CONSTRAINT referral_invites_joined_user_id_fkey REFERENCES users(id),
        joined_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX referral_invites_pending_key ON referral_invites (sender_clinic_id, lower(email)) WHERE joined_at IS NULL`,
    );
    await q.query(`
      ALTER TABLE referrals
        ALTER COLUMN recipient_id DROP NOT NULL,
        ALTER COLUMN recipient_clinic_id DROP NOT NULL,
        ADD COLUMN recipient_invite_id uuid CONSTRAINT referrals_recipient_invite_id_fkey REFERENCES referral_invites(id),
        ADD CONSTRAINT referrals_recipient_or_invite CHECK (recipient_id IS NOT NULL OR recipient_invite_id IS NOT NULL)`);
    await q.query(
      `CREATE INDEX referrals_recipient_invite_idx ON referrals (recipient_invite_id) WHERE recipient_invite_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM referrals WHERE recipient_id IS NULL`);
    await q.query(`DROP INDEX referrals_recipient_invite_idx`);
    await q.query(`
      ALTER TABLE referrals
        DROP CONSTRAINT referrals_recipient_or_invite,
        DROP COLUMN recipient_invite_id,
        ALTER COLUMN recipient_id SET NOT NULL,
        ALTER COLUMN recipient_clinic_id SET NOT NULL`);
    await q.query(`DROP TABLE referral_invites`);
  }
}
