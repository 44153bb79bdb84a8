import type { MigrationInterface, QueryRunner } from 'typeorm';

export class PatientsReferrals1764200000000 implements MigrationInterface {
  name = 'PatientsReferrals1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE patients (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        clinic_id uuid NOT NULL REFERENCES clinics(id),
        first_name text NOT NULL,
        last_name text NOT NULL,
        date_of_birth date NOT NULL,
        email text,
        phone text,
        preferred_contact text NOT NULL,
        created_by uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX patients_clinic_name_idx ON patients (clinic_id, last_name, first_name, id)`);

    await q.query(`
      CREATE TABLE patient_consents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        patient_id uuid NOT NULL REFERENCES patients(id),
        clinic_id uuid NOT NULL REFERENCES clinics(id),
        scope text NOT NULL CHECK (scope IN ('referral_sharing', 'patient_notifications')),
        granted_at timestamptz NOT NULL,
        recorded_by uuid NOT NULL REFERENCES users(id),
        revoked_at timestamptz,
        revoked_by uuid REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // At most one active consent per scope: a double click records it once.
    await q.query(
      `CREATE UNIQUE INDEX patient_consents_active_key ON patient_consents (patient_id, scope) WHERE revoked_at IS NULL`,
    );

    await q.query(`
      CREATE TABLE referrals (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('injury_care', 'maintenance_massage')),
        status text NOT NULL,
        version integer NOT NULL DEFAULT 1,
        patient_id uuid NOT NULL REFERENCES patients(id),
        sender_id uuid NOT NULL REFERENCES users(id),
        sender_clinic_id uuid NOT NULL REFERENCES clinics(id),
        recipient_id uuid NOT NULL REFERENCES users(id),
        recipient_clinic_id uuid NOT NULL REFERENCES clinics(id),
        created_by uuid NOT NULL REFERENCES users(id),
        priority text NOT NULL CHECK (priority IN ('routine', 'urgent')),
        reason text NOT NULL,
        body_regions text[] NOT NULL DEFAULT '{}',
        observations text,
        pain_level smallint CHECK (pain_level BETWEEN 0 AND 10),
        onset_date date,
        needed_by date,
        red_flags text[] NOT NULL DEFAULT '{}',
        plan jsonb,
        replaces_id uuid REFERENCES referrals(id),
        appointment_at timestamptz,
        outcome jsonb,
        sent_at timestamptz,
        responded_at timestamptz,
        closed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT red_flags_need_urgent CHECK (cardinality(red_flags) = 0 OR priority = 'urgent'),
        CONSTRAINT maintenance_has_plan CHECK ((kind = 'maintenance_massage') = (plan IS NOT NULL))
      )`);
    // Keyset pagination of each box, newest change first: cost does not grow with the table.
    await q.query(
      `CREATE INDEX referrals_recipient_box_idx ON referrals (recipient_id, updated_at DESC, id DESC) WHERE status <> 'draft'`,
    );
    await q.query(`CREATE INDEX referrals_sender_box_idx ON referrals (sender_id, updated_at DESC, id DESC)`);
    await q.query(`CREATE INDEX referrals_sender_clinic_idx ON referrals (sender_clinic_id, updated_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX referrals_recipient_clinic_idx ON referrals (recipient_clinic_id, updated_at DESC, id DESC) WHERE status <> 'draft'`,
    );
    await q.query(`CREATE INDEX referrals_patient_idx ON referrals (patient_id)`);
    await q.query(`CREATE INDEX referrals_replaces_idx ON referrals (replaces_id) WHERE replaces_id IS NOT NULL`);
    // Timers look for open referrals by status.
    await q.query(
      `CREATE INDEX referrals_open_status_idx ON referrals (status, updated_at) WHERE status IN ('sent', 'received', 'info_requested', 'outcome_sent')`,
    );

    await q.query(`
      CREATE TABLE referral_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        referral_id uuid NOT NULL REFERENCES referrals(id),
        type text NOT NULL,
        from_status text,
        to_status text NOT NULL,
        actor_id uuid REFERENCES users(id),
        reason text,
        note text,
        data jsonb,
        occurred_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query(`CREATE INDEX referral_events_referral_idx ON referral_events (referral_id, occurred_at, id)`);

    // Transactional outbox: written in the same transaction as the change it announces;
    // the relay (worker) publishes it to the queue and marks it.
    await q.query(`
      CREATE TABLE outbox_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        type text NOT NULL,
        referral_id uuid REFERENCES referrals(id),
        referral_event_id uuid REFERENCES referral_events(id),
        payload jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await q.query(`CREATE INDEX outbox_events_unpublished_idx ON outbox_events (created_at) WHERE published_at IS NULL`);

    await q.query(`
      CREATE TABLE idempotency_keys (
        user_id uuid NOT NULL REFERENCES users(id),
        key text NOT NULL,
        request_hash text NOT NULL,
        response_status integer NOT NULL,
        response_body json NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, key)
      )`);

    await q.query(`
      CREATE TABLE referral_attachments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        referral_id uuid NOT NULL REFERENCES referrals(id),
        file_name text NOT NULL,
        content_type text NOT NULL,
        size_bytes integer NOT NULL,
        sha256 text NOT NULL,
        content bytea NOT NULL,
        uploaded_by uuid NOT NULL REFERENCES users(id),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX referral_attachments_referral_idx ON referral_attachments (referral_id, created_at)`);

    await q.query(`
      CREATE TABLE audit_events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        actor_id uuid,
        clinic_id uuid,
        action text NOT NULL,
        resource_type text NOT NULL,
        resource_id uuid,
        outcome text NOT NULL,
        ip text,
        request_id text,
        details jsonb
      )`);
    await q.query(`CREATE INDEX audit_events_clinic_idx ON audit_events (clinic_id, occurred_at DESC, id DESC)`);
    await q.query(`CREATE INDEX audit_events_resource_idx ON audit_events (resource_id) WHERE resource_id IS NOT NULL`);
    // Append-only in the database itself, not just by convention in the app.
    await q.query(`
      CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
      END $$`);
    await q.query(`
      CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION forbid_change()`);
    await q.query(`
      CREATE TRIGGER referral_events_no_change BEFORE UPDATE OR DELETE ON referral_events
      FOR EACH ROW EXECUTE FUNCTION forbid_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_events`);
    await q.query(`DROP TABLE referral_attachments`);
    await q.query(`DROP TABLE idempotency_keys`);
    await q.query(`DROP TABLE outbox_events`);
    await q.query(`DROP TABLE referral_events`);
    await q.query(`DROP TABLE referrals`);
    await q.query(`DROP TABLE patient_consents`);
    await q.query(`DROP TABLE patients`);
    await q.query(`DROP FUNCTION forbid_change()`);
  }
}
