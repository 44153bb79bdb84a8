import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A clinic's audit log also shows what the other clinic of a referral did with it (reads included):
 * one row here per audit event and clinic party to the referral other than the actor's own (the
 * sender's clinic, and the recipient's once the referral was sent). Written with the audit event,
 * keyed like audit_events_clinic_idx so the log pages both sources the same way. For a list read,
 * `resource_ids` holds the ids of the page that concern this clinic (the event's details name all
 * of them, other clinics' included, which this clinic must not see).
 */
export class AuditPartyClinics1764240100000 implements MigrationInterface {
  name = 'AuditPartyClinics1764240100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_event_clinics (
        audit_event_id bigint NOT NULL REFERENCES audit_events(id),
        clinic_id uuid NOT NULL REFERENCES clinics(id),
        occurred_at timestamptz NOT NULL,
        resource_ids uuid[],
        PRIMARY KEY (audit_event_id, clinic_id)
      )`);
    await q.query(
      `CREATE INDEX audit_event_clinics_clinic_idx ON audit_event_clinics (clinic_id, occurred_at DESC, audit_event_id DESC)`,
    );
    await q.query(`
      CREATE TRIGGER audit_event_clinics_no_change BEFORE UPDATE OR DELETE ON audit_event_clinics
      FOR EACH ROW EXECUTE FUNCTION forbid_change()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_event_clinics`);
  }
}
