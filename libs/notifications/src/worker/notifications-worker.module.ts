import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdentityModule } from '@referloop/identity';
import { ReferralsModule } from '@referloop/referrals';
import { EmailChannel } from '../channels/email.channel';
import { WebhookChannel } from '../channels/webhook.channel';
import { NOTIFICATION_ENTITIES } from '../entities';
import { NOTIFICATION_QUEUES } from '../notification-queue';
import { NotificationDeliverer } from './notification-deliverer';
import { NotificationDispatcher } from './notification-dispatcher';
import { NotificationReconciler } from './notification-reconciler';
import { DeliverProcessor, TimersProcessor } from './notification.processors';
import { DeliveryStore } from '../store/delivery.store';
import { DispatchStore } from '../store/dispatch.store';
import { OutboxStore } from '../store/outbox.store';
import { OutboxRelay } from './outbox-relay';
import { QueueOutageLog } from './queue-outage-log';
import { TimersScheduler } from './timers-scheduler';

/** Everything that consumes jobs. Imported by the worker only, never by the API. */
@Module({
  imports: [
    TypeOrmModule.forFeature(NOTIFICATION_ENTITIES),
    BullModule.registerQueue(...NOTIFICATION_QUEUES),
    IdentityModule,
    ReferralsModule,
  ],
  providers: [
    EmailChannel,
    WebhookChannel,
    NotificationDispatcher,
    NotificationDeliverer,
    OutboxStore,
    DispatchStore,
    DeliveryStore,
    OutboxRelay,
    NotificationReconciler,
    TimersScheduler,
    DeliverProcessor,
    TimersProcessor,
    QueueOutageLog,
  ],
  exports: [OutboxRelay],
})
export class NotificationsWorkerModule {}
