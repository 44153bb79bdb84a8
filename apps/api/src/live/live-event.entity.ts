import { Check, Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One change a live stream (`GET /events`) may carry, written by the triggers of migration
 * 1764259000000-LiveEvents in the transaction of the change itself; read by {@link LiveHub} and
 * pruned after a few minutes. Ids and statuses only.
 */
@Check('live_events_type_check', `type IN ('referral.updated', 'notification.created', 'message.created')`)
@Entity({ name: 'live_events' })
export class LiveEventEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ type: 'text' })
  type: string;

  @Column({ name: 'referral_id', type: 'uuid', nullable: true })
  referralId: string | null;

  @Column({ type: 'integer', nullable: true })
  version: number | null;

  @Column({ type: 'text', nullable: true })
  status: string | null;

  @Column({ name: 'notification_id', type: 'uuid', nullable: true })
  notificationId: string | null;

  /** The users told directly. */
  @Column({ name: 'user_ids', type: 'uuid', array: true })
  userIds: string[];

  /** The clinics whose admins are told. */
  @Column({ name: 'clinic_ids', type: 'uuid', array: true })
  clinicIds: string[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
