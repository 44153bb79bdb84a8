import { Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A clinic's webhook subscription. Deliveries are signed with `secret` (HMAC-SHA256). */
@Index('webhooks_clinic_idx', { synchronize: false })
@Entity({ name: 'webhooks' })
export class WebhookEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @ForeignKey('clinics', { name: 'webhooks_clinic_id_fkey' })
  @Column({ name: 'clinic_id', type: 'uuid' })
  clinicId: string;

  @Column({ type: 'text' })
  url: string;

  @Column({ type: 'text', select: false })
  secret: string;

  @Column({ name: 'event_types', type: 'text', array: true })
  eventTypes: string[];

  @ForeignKey('users', { name: 'webhooks_created_by_fkey' })
  @Column({ name: 'created_by', type: 'uuid' })
  createdBy: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt: Date | null;
}
