export * from './entities';
export * from './notification-queue';
export * from './notification-texts';
export * from './notifications.service';
export * from './notifications.module';
export * from './channels/webhook-signature';
export * from './channels/webhook-target';
export * from './channels/trial-mailbox';
