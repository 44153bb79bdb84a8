import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A list read of referrals writes one audit_event_clinics row per other clinic on the page (up to
 * one per referral), and each row's two foreign-key checks were a fifth of PostgreSQL's time for a
 * box page. The rows are written only in the statement that writes their audit event (from its
 * RETURNING), for clinics read off the referrals just shown; the log is append-only and clinics are
 * never deleted. So the keys checked nothing that could go wrong, like audit_events' own actor and
 * clinic columns, which never had keys.
 */
export class AuditPartyRowsUnchecked1764266000000 implements MigrationInterface {
  name = 'AuditPartyRowsUnchecked1764266000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE audit_event_clinics DROP CONSTRAINT audit_event_clinics_audit_event_id_fkey,
                                       DROP CONSTRAINT audit_event_clinics_clinic_id_fkey`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE audit_event_clinics
         ADD CONSTRAINT audit_event_clinics_audit_event_id_fkey FOREIGN KEY (audit_event_id) REFERENCES audit_events(id),
         ADD CONSTRAINT audit_event_clinics_clinic_id_fkey FOREIGN KEY (clinic_id) REFERENCES clinics(id)`,
    );
  }
}
