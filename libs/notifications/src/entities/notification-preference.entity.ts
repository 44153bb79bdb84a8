import { Check, Column, Entity, ForeignKey, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A user's choice for an optional channel. In-app is always on, so only email has a row. */
@Check('notification_preferences_channel_check', `channel = 'email'`)
@Entity({ name: 'notification_preferences' })
export class NotificationPreferenceEntity {
  @ForeignKey('users', { name: 'notification_preferences_user_id_fkey' })
  @PrimaryColumn({ name: 'user_id', type: 'uuid' })
  userId: string;

  @PrimaryColumn({ type: 'text' })
  channel: 'email';

  @Column({ type: 'boolean' })
  enabled: boolean;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
