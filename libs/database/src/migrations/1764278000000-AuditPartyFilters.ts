import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A clinic's audit log filtered by actor, action or resource type: the rows other clinics wrote
 * about its referrals (audit_event_clinics) held only the clinic and the time, so a filter joined
 * every one of the clinic's party rows to its event to test it, newest first, until a page matched.
 * A filter that matches few or none of them (an own practitioner, a rare action, patients) walked
 * them all: on 300k party rows 1–5 s. The party rows now carry the event's actor, action and
 * resource type (written with the event, like occurred_at), indexed like audit_events' own filters,
 * so a filter is a range of one index there too.
 */
export class AuditPartyFilters1764278000000 implements MigrationInterface {
  name = 'AuditPartyFilters1764278000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE audit_event_clinics ADD COLUMN actor_id uuid, ADD COLUMN action text, ADD COLUMN resource_type text`,
    );
    // The rows are append-only (a trigger refuses changes): filled in once here, with the trigger off.
    await q.query(`ALTER TABLE audit_event_clinics DISABLE TRIGGER audit_event_clinics_no_change`);
    await q.query(`
      UPDATE audit_event_clinics x SET actor_id = a.actor_id, action = a.action, resource_type = a.resource_type
        FROM audit_events a WHERE a.id = x.audit_event_id`);
    await q.query(`ALTER TABLE audit_event_clinics ENABLE TRIGGER audit_event_clinics_no_change`);
    await q.query(`ALTER TABLE audit_event_clinics ALTER COLUMN action SET NOT NULL, ALTER COLUMN resource_type SET NOT NULL`);
    await q.query(
      `CREATE INDEX audit_event_clinics_clinic_action_idx ON audit_event_clinics (clinic_id, action, occurred_at DESC, audit_event_id DESC)`,
    );
    await q.query(
      `CREATE INDEX audit_event_clinics_clinic_actor_idx ON audit_event_clinics (clinic_id, actor_id, occurred_at DESC, audit_event_id DESC)`,
    );
    await q.query(
      `CREATE INDEX audit_event_clinics_clinic_resource_idx ON audit_event_clinics (clinic_id, resource_type, occurred_at DESC, audit_event_id DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX audit_event_clinics_clinic_resource_idx`);
    await q.query(`DROP INDEX audit_event_clinics_clinic_actor_idx`);
    await q.query(`DROP INDEX audit_event_clinics_clinic_action_idx`);
    await q.query(`ALTER TABLE audit_event_clinics DROP COLUMN resource_type, DROP COLUMN action, DROP COLUMN actor_id`);
  }
}
