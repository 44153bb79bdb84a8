import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A refresh whose answer never arrived (the page reloaded, the connection dropped) left the client
 * holding the rotated token, and presenting it again revoked the session. A refresh may now carry
 * an `Idempotency-Key`: the rotation records the key's SHA-256 and the token it issued, so a retry
 * with that key can be told from a reuse while that token is still unused.
 */
export class RefreshRetryKeys1764269000000 implements MigrationInterface {
  name = 'RefreshRetryKeys1764269000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens ADD COLUMN retry_key_hash text, ADD COLUMN successor_id uuid`);
    await q.query(
      `ALTER TABLE refresh_tokens ADD CONSTRAINT refresh_tokens_successor_id_fkey FOREIGN KEY (successor_id) REFERENCES refresh_tokens(id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE refresh_tokens DROP COLUMN successor_id, DROP COLUMN retry_key_hash`);
  }
}
