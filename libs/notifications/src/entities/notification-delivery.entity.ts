import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type DeliveryChannel = 'in_app' | 'email' | 'webhook';
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/**
 * One notification to one recipient over one channel, unique per (outbox event, recipient,
 * channel): re-running a fan-out never creates a second one. Its id is the delivery job's id.
 */
@Entity({ name: 'notification_deliveries' })
export class NotificationDeliveryEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'outbox_event_id', type: 'uuid' })
  outboxEventId: string;

  @Column({ type: 'text' })
  channel: DeliveryChannel;

  /** `user:<id>` or `webhook:<id>`. */
  @Column({ name: 'recipient_key', type: 'text' })
  recipientKey: string;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @Column({ name: 'webhook_id', type: 'uuid', nullable: true })
  webhookId: string | null;

  /** The clinic whose admins see this delivery if it fails. */
  @Column({ name: 'clinic_id', type: 'uuid' })
  clinicId: string;

  @Column({ name: 'notification_type', type: 'text' })
  notificationType: string;

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
