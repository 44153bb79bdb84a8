import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Identity1764190000000 implements MigrationInterface {
  name = 'Identity1764190000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE clinics (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        address_line1 text NOT NULL,
        address_city text NOT NULL,
        address_region text NOT NULL,
        address_postal_code text NOT NULL,
        address_country text NOT NULL,
        phone text NOT NULL,
        timezone text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        clinic_id uuid NOT NULL REFERENCES clinics(id),
        email text NOT NULL,
        password_hash text,
        full_name text NOT NULL,
        role text NOT NULL CHECK (role IN ('massage_therapist', 'physical_therapist', 'clinic_admin')),
        licence_number text,
        licence_region text,
        licence_expires_on date,
        licence_verified_at timestamptz,
        specialties text[] NOT NULL DEFAULT '{}',
        languages text[] NOT NULL DEFAULT '{}',
        accepting_referrals boolean NOT NULL DEFAULT true,
        bio text,
        activated_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT practitioner_has_licence CHECK (
          role = 'clinic_admin' OR (licence_number IS NOT NULL AND licence_region IS NOT NULL AND licence_expires_on IS NOT NULL)
        )
      )`);
    await q.query(`CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`);
    await q.query(`CREATE INDEX users_clinic_idx ON users (clinic_id, full_name, id)`);
    await q.query(`CREATE INDEX users_directory_idx ON users (role, full_name, id) WHERE role <> 'clinic_admin'`);
    await q.query(`CREATE INDEX users_specialties_idx ON users USING gin (specialties)`);
    await q.query(`
      CREATE TABLE auth_sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        revoked_reason text
      )`);
    await q.query(`CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id) WHERE revoked_at IS NULL`);
    await q.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES auth_sessions(id),
        token_hash text NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id)`);
    await q.query(`
      CREATE TABLE invitations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id),
        token_hash text NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        accepted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX invitations_user_idx ON invitations (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE invitations`);
    await q.query(`DROP TABLE refresh_tokens`);
    await q.query(`DROP TABLE auth_sessions`);
    await q.query(`DROP TABLE users`);
    await q.query(`DROP TABLE clinics`);
  }
}
