import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Admin rights become a flag (`is_admin`): a practitioner may also run their clinic, and a
 * `clinic_admin` always has it. Invitations get a life of their own: they keep who was invited
 * (the never-activated user row is deleted when an invitation is revoked, which frees the email),
 * can be revoked, and are re-sent with a new token (`token_version`) on the same row.
 */
export class AdminsInvitations1764246000000 implements MigrationInterface {
  name = 'AdminsInvitations1764246000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users ADD COLUMN is_admin boolean NOT NULL DEFAULT false`);
    await q.query(`UPDATE users SET is_admin = true WHERE role = 'clinic_admin'`);
    await q.query(`ALTER TABLE users ADD CONSTRAINT clinic_admin_is_admin CHECK (role <> 'clinic_admin' OR is_admin)`);
    await q.query(`CREATE INDEX users_admins_idx ON users (clinic_id) WHERE is_admin`);

    await q.query(`
      ALTER TABLE invitations
        ADD COLUMN clinic_id uuid REFERENCES clinics(id),
        ADD COLUMN email text,
        ADD COLUMN full_name text,
        ADD COLUMN role text,
        ADD COLUMN revoked_at timestamptz,
        ADD COLUMN token_version integer NOT NULL DEFAULT 1,
        ADD COLUMN link_base text`);
    await q.query(`
      UPDATE invitations i SET clinic_id = u.clinic_id, email = u.email, full_name = u.full_name, role = u.role
        FROM users u WHERE u.id = i.user_id`);
    await q.query(`
      ALTER TABLE invitations
        ALTER COLUMN clinic_id SET NOT NULL,
        ALTER COLUMN email SET NOT NULL,
        ALTER COLUMN full_name SET NOT NULL,
        ALTER COLUMN role SET NOT NULL,
        ALTER COLUMN user_id DROP NOT NULL,
        DROP CONSTRAINT invitations_user_id_fkey,
        ADD CONSTRAINT invitations_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL`);
    await q.query(`CREATE INDEX invitations_clinic_idx ON invitations (clinic_id, created_at DESC, id DESC)`);
    // A revoked invitee's row goes; the record of the invitation email sent to them stays.
    await q.query(`
      ALTER TABLE notification_deliveries
        DROP CONSTRAINT notification_deliveries_user_id_fkey,
        ADD CONSTRAINT notification_deliveries_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE SET NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE notification_deliveries
        DROP CONSTRAINT notification_deliveries_user_id_fkey,
        ADD CONSTRAINT notification_deliveries_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id)`);
    await q.query(`DELETE FROM invitations WHERE user_id IS NULL`);
    await q.query(`DROP INDEX invitations_clinic_idx`);
    await q.query(`
      ALTER TABLE invitations
        DROP CONSTRAINT invitations_user_id_fkey,
        ADD CONSTRAINT invitations_user_id_fkey FOREIGN KEY (user_id) REFERENCES users(id),
        ALTER COLUMN user_id SET NOT NULL,
        DROP COLUMN clinic_id, DROP COLUMN email, DROP COLUMN full_name, DROP COLUMN role,
        DROP COLUMN revoked_at, DROP COLUMN token_version, DROP COLUMN link_base`);
    await q.query(`DROP INDEX users_admins_idx`);
    await q.query(`ALTER TABLE users DROP CONSTRAINT clinic_admin_is_admin`);
    await q.query(`ALTER TABLE users DROP COLUMN is_admin`);
  }
}
