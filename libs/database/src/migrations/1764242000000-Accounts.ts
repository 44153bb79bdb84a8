import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Account lifecycle: what a session shows its owner (last use, device, IP), deactivated users,
 * single-use password reset tokens (only their SHA-256 is stored), and rate-limit counters shared
 * by every API replica when there is no Redis.
 */
export class Accounts1764242000000 implements MigrationInterface {
  name = 'Accounts1764242000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE auth_sessions
        ADD COLUMN last_used_at timestamptz,
        ADD COLUMN user_agent text,
        ADD COLUMN ip text`);
    await q.query(`ALTER TABLE users ADD COLUMN deactivated_at timestamptz`);
    await q.query(`
      CREATE TABLE password_resets (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id),
        token_hash text NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX password_resets_user_idx ON password_resets (user_id) WHERE used_at IS NULL`);
    await q.query(`
      CREATE TABLE rate_limit_counters (
        key text PRIMARY KEY,
        hits integer NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX rate_limit_counters_expiry_idx ON rate_limit_counters (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE rate_limit_counters`);
    await q.query(`DROP TABLE password_resets`);
    await q.query(`ALTER TABLE users DROP COLUMN deactivated_at`);
    await q.query(`ALTER TABLE auth_sessions DROP COLUMN last_used_at, DROP COLUMN user_agent, DROP COLUMN ip`);
  }
}
