import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Notifications1764210000000 implements MigrationInterface {
  name = 'Notifications1764210000000';

  async up(q: QueryRunner): Promise<void> {
    // Wake the outbox relay at once (LISTEN outbox_events); a periodic sweep is the safety net.
    await q.query(`
      CREATE FUNCTION notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('outbox_events', '');
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events FOR EACH STATEMENT EXECUTE FUNCTION notify_outbox()`,
    );

    // Response-SLA clock: time in info_requested does not count.
    await q.query(`ALTER TABLE referrals ADD COLUMN sla_paused_ms bigint NOT NULL DEFAULT 0`);
    await q.query(`ALTER TABLE referrals ADD COLUMN sla_paused_at timestamptz`);
    // Reminders and escalations are timeline events; at most one of each per referral.
    await q.query(
      `CREATE UNIQUE INDEX referral_events_once_key ON referral_events (referral_id, type) WHERE type IN ('reminder_sent', 'escalated')`,
    );

    await q.query(`
      CREATE TABLE notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id),
        type text NOT NULL,
        referral_id uuid REFERENCES referrals(id),
        title text NOT NULL,
        body text NOT NULL,
        read_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX notifications_inbox_idx ON notifications (user_id, created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX notifications_unread_idx ON notifications (user_id, created_at DESC, id DESC) WHERE read_at IS NULL`,
    );

    await q.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        clinic_id uuid NOT NULL REFERENCES clinics(id),
        url text NOT NULL,
        secret text NOT NULL,
        event_types text[] NOT NULL,
        created_by uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        deleted_at timestamptz
      )`);
    await q.query(`CREATE INDEX webhooks_clinic_idx ON webhooks (clinic_id) WHERE deleted_at IS NULL`);

    await q.query(`
      CREATE TABLE notification_preferences (
        user_id uuid NOT NULL REFERENCES users(id),
        channel text NOT NULL CHECK (channel IN ('email')),
        enabled boolean NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, channel)
      )`);

    // One row per (event, recipient, channel): the unique key makes every re-run a no-op.
    await q.query(`
      CREATE TABLE notification_deliveries (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        outbox_event_id uuid NOT NULL REFERENCES outbox_events(id),
        channel text NOT NULL CHECK (channel IN ('in_app', 'email', 'webhook')),
        recipient_key text NOT NULL,
        user_id uuid REFERENCES users(id),
        webhook_id uuid REFERENCES webhooks(id),
        clinic_id uuid NOT NULL REFERENCES clinics(id),
        notification_type text NOT NULL,
        referral_id uuid REFERENCES referrals(id),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        retry_count integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        failed_at timestamptz,
        CONSTRAINT notification_deliveries_dedup_key UNIQUE (outbox_event_id, recipient_key, channel)
      )`);
    await q.query(
      `CREATE INDEX notification_deliveries_failed_idx ON notification_deliveries (clinic_id, failed_at DESC) WHERE status = 'failed'`,
    );
    await q.query(
      `CREATE INDEX notification_deliveries_pending_idx ON notification_deliveries (created_at) WHERE status = 'pending'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE notification_deliveries`);
    await q.query(`DROP TABLE notification_preferences`);
    await q.query(`DROP TABLE webhooks`);
    await q.query(`DROP TABLE notifications`);
    await q.query(`DROP INDEX referral_events_once_key`);
    await q.query(`ALTER TABLE referrals DROP COLUMN sla_paused_at, DROP COLUMN sla_paused_ms`);
    await q.query(`DROP TRIGGER outbox_events_notify ON outbox_events`);
    await q.query(`DROP FUNCTION notify_outbox()`);
  }
}
