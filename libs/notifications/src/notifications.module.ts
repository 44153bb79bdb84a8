import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IdentityModule } from '@referloop/identity';
import { NOTIFICATION_ENTITIES } from './entities';
import { NotificationsService } from './notifications.service';
import { NotificationStore } from './store/notification.store';

/** The API side of notifications. Processors live in NotificationsWorkerModule (worker only). */
@Module({
  // IdentityModule provides the Clock and the audit log.
  imports: [TypeOrmModule.forFeature(NOTIFICATION_ENTITIES), IdentityModule],
  providers: [NotificationStore, NotificationsService],
  exports: [NotificationsService],
})
export class NotificationsModule {}
