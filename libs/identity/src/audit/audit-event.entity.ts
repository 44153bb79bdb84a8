import { Column, Entity, Generated, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Who read or changed which patient or referral, when, from where. Append-only (a trigger refuses changes). */
@Index('audit_events_clinic_idx', ['clinicId', 'occurredAt', 'id'])
@Index('audit_events_clinic_action_idx', ['clinicId', 'action', 'occurredAt', 'id'])
@Index('audit_events_clinic_actor_idx', ['clinicId', 'actorId', 'occurredAt', 'id'])
@Index('audit_events_resource_idx', { synchronize: false })
@Entity({ name: 'audit_events' })
export class AuditEventEntity {
  /** The trail's order and the party rows' reference; never shown (the API shows `uid`). */
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  /** The event's id in the API (the migration's default: gen_random_uuid()). */
  @Column({ type: 'uuid' })
  @Generated('uuid')
  uid: string;

  @Column({ name: 'occurred_at', type: 'timestamptz', default: () => 'now()' })
  occurredAt: Date;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  @Column({ name: 'clinic_id', type: 'uuid', nullable: true })
  clinicId: string | null;

  @Column({ type: 'text' })
  action: string;

  @Column({ name: 'resource_type', type: 'text' })
  resourceType: string;

  @Column({ name: 'resource_id', type: 'uuid', nullable: true })
  resourceId: string | null;

  @Column({ type: 'text' })
  outcome: string;

  @Column({ type: 'text', nullable: true })
  ip: string | null;

  @Column({ name: 'request_id', type: 'text', nullable: true })
  requestId: string | null;

  @Column({ type: 'jsonb', nullable: true })
  details: Record<string, unknown> | null;
}
