import { Check, Column, CreateDateColumn, Entity, ForeignKey, Index, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** `patient_email`: to the referral's patient (the address is read at send time, never stored here). */
export type DeliveryChannel = 'in_app' | 'email' | 'webhook' | 'patient_email';
/** `skipped`: nothing was left to send (webhook deleted, invitation no longer open, no address); `last_error` says why. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'skipped';

/**
 * One notification to one recipient over one channel, unique per (outbox event, recipient,
 * channel): re-running a fan-out never creates a second one. Its id is the delivery job's id.
 */
@Unique('notification_deliveries_dedup_key', ['outboxEventId', 'recipientKey', 'channel'])
@Index('notification_deliveries_failed_idx', { synchronize: false })
@Index('notification_deliveries_pending_idx', { synchronize: false })
@Index('notification_deliveries_invite_email_idx', { synchronize: false })
@Check('notification_deliveries_channel_check', `channel IN ('in_app', 'email', 'webhook', 'patient_email')`)
@Check('notification_deliveries_status_check', `status IN ('pending', 'delivered', 'failed', 'skipped')`)
@Entity({ name: 'notification_deliveries' })
export class NotificationDeliveryEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @ForeignKey('outbox_events', { name: 'notification_deliveries_outbox_event_id_fkey' })
  @Column({ name: 'outbox_event_id', type: 'uuid' })
  outboxEventId: string;

  @Column({ type: 'text' })
  channel: DeliveryChannel;

  /** `user:<id>`, `webhook:<id>` or `patient:<id>`. */
  @Column({ name: 'recipient_key', type: 'text' })
  recipientKey: string;

  @ForeignKey('users', { name: 'notification_deliveries_user_id_fkey', onDelete: 'SET NULL' })
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @ForeignKey('webhooks', { name: 'notification_deliveries_webhook_id_fkey' })
  @Column({ name: 'webhook_id', type: 'uuid', nullable: true })
  webhookId: string | null;

  /** The clinic whose admins see this delivery if it fails. */
  @ForeignKey('clinics', { name: 'notification_deliveries_clinic_id_fkey' })
  @Column({ name: 'clinic_id', type: 'uuid' })
  clinicId: string;

  @Column({ name: 'notification_type', type: 'text' })
  notificationType: string;

  @ForeignKey('referrals', { name: 'notification_deliveries_referral_id_fkey' })
  @Column({ name: 'referral_id', type: 'uuid', nullable: true })
  referralId: string | null;

  @Column({ type: 'text', default: 'pending' })
  status: DeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  /** How many times an admin sent it again from the failed list. */
  @Column({ name: 'retry_count', type: 'integer', default: 0 })
  retryCount: number;

  /** Held by the send in progress (see the DeliveryLease migration). */
  @Column({ name: 'sending_until', type: 'timestamptz', nullable: true })
  sendingUntil: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  @Column({ name: 'failed_at', type: 'timestamptz', nullable: true })
  failedAt: Date | null;
}
