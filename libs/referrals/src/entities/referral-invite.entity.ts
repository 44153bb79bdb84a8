import type { PractitionerRole } from '@referloop/common';
import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * A practitioner not on ReferLoop that a clinic refers to: one pending row per (sender clinic,
 * address), shared by all its referrals. Only the link token's SHA-256 is stored; a resend bumps
 * `tokenVersion`, so the previous link stops working. Joining sets `joinedUserId` once.
 */
@Index('referral_invites_pending_key', { synchronize: false })
@Unique('referral_invites_token_hash_key', ['tokenHash'])
@Check('referral_invites_role_check', `role IN ('massage_therapist', 'physical_therapist')`)
@Entity({ name: 'referral_invites' })
export class ReferralInviteEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @ForeignKey('clinics', { name: 'referral_invites_sender_clinic_id_fkey' })
  @Column({ name: 'sender_clinic_id', type: 'uuid' })
  senderClinicId: string;

  @Column({ type: 'text' })
  email: string;

  @Column({ name: 'full_name', type: 'text' })
  fullName: string;

  @Column({ type: 'text' })
  role: PractitionerRole;

  @Column({ name: 'token_hash', type: 'text' })
  tokenHash: string;

  @Column({ name: 'token_version', type: 'integer', default: 1 })
  tokenVersion: number;

  @ForeignKey('users', { name: 'referral_invites_joined_user_id_fkey' })
  @Column({ name: 'joined_user_id', type: 'uuid', nullable: true })
  joinedUserId: string | null;

  @Column({ name: 'joined_at', type: 'timestamptz', nullable: true })
  joinedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
