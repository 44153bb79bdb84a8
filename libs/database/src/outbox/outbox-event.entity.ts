import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A domain event waiting to be published: written in the same transaction as the change it
 * announces (so the two commit together or not at all), published by the worker's relay, which
 * writes its deliveries and in-app notifications in the same transaction. Carries ids only, never
 * patient data.
 */
@Index('outbox_events_unpublished_idx', { synchronize: false })
@Entity({ name: 'outbox_events' })
export class OutboxEventEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'text' })
  type: string;

  @ForeignKey('referrals', { name: 'outbox_events_referral_id_fkey' })
  @Column({ name: 'referral_id', type: 'uuid', nullable: true })
  referralId: string | null;

  @ForeignKey('referral_events', { name: 'outbox_events_referral_event_id_fkey' })
  @Column({ name: 'referral_event_id', type: 'uuid', nullable: true })
  referralEventId: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  payload: Record<string, string | number | boolean | null>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** When the relay fanned it out (its deliveries were written in the same transaction). */
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt: Date | null;
}
