export * from './data-source';
export * from './database.module';
export * from './migration-runner';
export * from './embedded-postgres';
export * from './pg-errors';
export * from './outbox/outbox';
export * from './outbox/outbox-event.entity';
export * from './query-rows';
