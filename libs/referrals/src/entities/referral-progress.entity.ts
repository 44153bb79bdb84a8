import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { ProgressTolerance } from '../progress/progress';

/** One progress report of a referral's recipient (`report-progress`); its timeline event is `event_id`. */
@Index('referral_progress_referral_idx', ['referralId', 'reportedAt', 'id'])
@Unique('referral_progress_event_key', ['eventId'])
@Check('referral_progress_sessions_check', `sessions_completed >= 0`)
@Check('referral_progress_pain_level_check', `pain_level BETWEEN 0 AND 10`)
@Check('referral_progress_psfs_check', `psfs BETWEEN 0 AND 10`)
@Check('referral_progress_tolerance_check', `tolerance IN ('well', 'some_soreness', 'adverse')`)
@Entity({ name: 'referral_progress' })
export class ReferralProgressEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @ForeignKey('referrals', { name: 'referral_progress_referral_id_fkey', onDelete: 'CASCADE' })
  @Column({ name: 'referral_id', type: 'uuid' })
  referralId: string;

  @ForeignKey('referral_events', { name: 'referral_progress_event_id_fkey' })
  @Column({ name: 'event_id', type: 'uuid' })
  eventId: string;

  @Column({ name: 'sessions_completed', type: 'integer' })
  sessionsCompleted: number;

  @Column({ name: 'pain_level', type: 'integer', nullable: true })
  painLevel: number | null;

  @Column({ type: 'numeric', precision: 4, scale: 2, nullable: true })
  psfs: string | null;

  @Column({ type: 'text' })
  tolerance: ProgressTolerance;

  @Column({ type: 'text', nullable: true })
  note: string | null;

  @ForeignKey('users', { name: 'referral_progress_reported_by_fkey' })
  @Column({ name: 'reported_by', type: 'uuid' })
  reportedBy: string;

  @Column({ name: 'reported_at', type: 'timestamptz' })
  reportedAt: Date;
}
