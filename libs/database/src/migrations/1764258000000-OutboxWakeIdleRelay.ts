import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * NOTIFY only when a relay is waiting for it. PostgreSQL serialises the commits of every
 * transaction that notifies (a database-wide lock held through the commit's WAL flush), so one
 * NOTIFY per referral turned concurrent writes into a queue. An idle relay, waiting to be woken,
 * holds advisory lock 7301453907 (`OUTBOX_RELAY_LOCK` in libs/database/src/outbox) exclusively on
 * its listening connection; the trigger notifies only when it cannot take that lock shared. With no
 * relay running, or every relay busy draining (they poll then), nobody notifies.
 */
export class OutboxWakeIdleRelay1764258000000 implements MigrationInterface {
  name = 'OutboxWakeIdleRelay1764258000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF pg_try_advisory_lock_shared(7301453907) THEN
          PERFORM pg_advisory_unlock_shared(7301453907);
        ELSE
          PERFORM pg_notify('outbox_events', '');
        END IF;
        RETURN NULL;
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('outbox_events', '');
        RETURN NULL;
      END $$`);
  }
}
