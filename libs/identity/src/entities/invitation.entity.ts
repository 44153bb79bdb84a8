import type { PractitionerRole } from '@referloop/common';
import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/**
 * A single-use invitation for a practitioner to set a password. Only the token's SHA-256 is stored;
 * a resend issues the next `tokenVersion` on the same row, so the previous link stops working.
 */
@Index('invitations_user_idx', ['userId'])
@Index('invitations_clinic_idx', { synchronize: false })
@Unique('invitations_token_hash_key', ['tokenHash'])
@Entity({ name: 'invitations' })
export class InvitationEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @ForeignKey('clinics', { name: 'invitations_clinic_id_fkey' })
  @Column({ name: 'clinic_id', type: 'uuid' })
  clinicId: string;

  /** The invited (not yet active) user; null once a revoked invitee's row is deleted. */
  @ForeignKey('users', { name: 'invitations_user_id_fkey', onDelete: 'SET NULL' })
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

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

  /** Where the link points when PUBLIC_URL is not set: the address the invite was made on. */
  @Column({ name: 'link_base', type: 'text', nullable: true })
  linkBase: string | null;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'accepted_at', type: 'timestamptz', nullable: true })
  acceptedAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
