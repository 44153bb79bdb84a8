import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { ReferralEventType, ReferralStatus } from '../state-machine/referral-state-machine';

/** One entry of a referral's timeline. Append-only (a trigger refuses changes). */
@Entity({ name: 'referral_events' })
export class ReferralEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'referral_id', type: 'uuid' })
  referralId: string;

  @Column({ type: 'text' })
  type: ReferralEventType;

  @Column({ name: 'from_status', type: 'text', nullable: true })
  fromStatus: ReferralStatus | null;

  @Column({ name: 'to_status', type: 'text' })
  toStatus: ReferralStatus;

  /** Null when the system acted (timers). */
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
