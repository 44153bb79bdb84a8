import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * An audit event shown in the log of another clinic party to its referral. Append-only (a trigger
 * refuses changes); written only with its event, so without foreign keys (AuditPartyRowsUnchecked).
 */
@Index('audit_event_clinics_clinic_idx', { synchronize: false })
@Index('audit_event_clinics_clinic_action_idx', ['clinicId', 'action', 'occurredAt', 'auditEventId'])
@Index('audit_event_clinics_clinic_actor_idx', ['clinicId', 'actorId', 'occurredAt', 'auditEventId'])
@Index('audit_event_clinics_clinic_resource_idx', ['clinicId', 'resourceType', 'occurredAt', 'auditEventId'])
@Entity({ name: 'audit_event_clinics' })
export class AuditEventClinicEntity {
  @PrimaryColumn({ name: 'audit_event_id', type: 'bigint' })
  auditEventId: string;

  @PrimaryColumn({ name: 'clinic_id', type: 'uuid' })
  clinicId: string;

  /** The event's own time, copied so the clinic's log pages on one index. */
  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  /** The event's actor, action and resource type, copied so the log's filters are ranges of this table's indexes. */
  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  @Column({ type: 'text' })
  action: string;

  @Column({ name: 'resource_type', type: 'text' })
  resourceType: string;

  /** For a list read: the ids of the page that concern this clinic. */
  @Column({ name: 'resource_ids', type: 'uuid', array: true, nullable: true })
  resourceIds: string[] | null;
}
