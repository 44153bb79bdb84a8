import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { ReferralEventType, ReferralStatus } from '../state-machine/referral-state-machine';

/** One entry of a referral's timeline. Append-only (a trigger refuses changes). */
@Index('referral_events_referral_idx', ['referralId', 'occurredAt', 'id'])
@Index('referral_events_once_key', { synchronize: false })
@Index('referral_events_metrics_idx', { synchronize: false })
@Index('referral_events_progress_due_key', { synchronize: false })
@Entity({ name: 'referral_events' })
export class ReferralEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @ForeignKey('referrals', { name: 'referral_events_referral_id_fkey' })
  @Column({ name: 'referral_id', type: 'uuid' })
  referralId: string;

  @Column({ type: 'text' })
  type: ReferralEventType;

  @Column({ name: 'from_status', type: 'text', nullable: true })
  fromStatus: ReferralStatus | null;

  @Column({ name: 'to_status', type: 'text' })
  toStatus: ReferralStatus;

  /** Null when the system acted (timers). */
  @ForeignKey('users', { name: 'referral_events_actor_id_fkey' })
  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ type: 'text', nullable: true })
  note: string | null;

  @Column({ type: 'jsonb', nullable: true })
  data: Record<string, unknown> | null;

  @Column({ name: 'occurred_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  occurredAt: Date;
}
