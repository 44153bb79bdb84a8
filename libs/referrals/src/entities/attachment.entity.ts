import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A PDF, PNG or JPEG stored in PostgreSQL with its referral (see README: Attachments). */
@Index('referral_attachments_referral_idx', ['referralId', 'createdAt'])
@Entity({ name: 'referral_attachments' })
export class AttachmentEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @ForeignKey('referrals', { name: 'referral_attachments_referral_id_fkey' })
  @Column({ name: 'referral_id', type: 'uuid' })
  referralId: string;

  @Column({ name: 'file_name', type: 'text' })
  fileName: string;

  @Column({ name: 'content_type', type: 'text' })
  contentType: string;

  @Column({ name: 'size_bytes', type: 'integer' })
  sizeBytes: number;

  @Column({ type: 'text' })
  sha256: string;

  @Column({ type: 'bytea', select: false })
  content: Buffer;

  @ForeignKey('users', { name: 'referral_attachments_uploaded_by_fkey' })
  @Column({ name: 'uploaded_by', type: 'uuid' })
  uploadedBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Added after the referral was sent (decided by the upload under the referral's lock). */
  @Column({ name: 'added_after_send', type: 'boolean', default: false })
  addedAfterSend: boolean;
}
