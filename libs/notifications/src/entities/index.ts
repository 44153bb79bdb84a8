export * from './notification.entity';
export * from './notification-delivery.entity';
export * from './webhook.entity';
export * from './notification-preference.entity';

import { NotificationDeliveryEntity } from './notification-delivery.entity';
import { NotificationPreferenceEntity } from './notification-preference.entity';
import { NotificationEntity } from './notification.entity';
import { WebhookEntity } from './webhook.entity';

export const NOTIFICATION_ENTITIES = [
  NotificationEntity,
  NotificationDeliveryEntity,
  WebhookEntity,
  NotificationPreferenceEntity,
];
