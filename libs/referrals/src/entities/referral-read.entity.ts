import { Column, Entity, ForeignKey, PrimaryColumn } from 'typeorm';

/** Until when a user has read a referral's messages and timeline (`POST /referrals/:id/read`). */
@Entity({ name: 'referral_reads' })
export class ReferralReadEntity {
  @ForeignKey('users', { name: 'referral_reads_user_id_fkey', onDelete: 'CASCADE' })
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @ForeignKey('referrals', { name: 'referral_reads_referral_id_fkey', onDelete: 'CASCADE' })
  @PrimaryColumn({ name: 'referral_id', type: 'uuid' })
  referralId: string;

  @Column({ name: 'read_at', type: 'timestamptz' })
  readAt: Date;
}
