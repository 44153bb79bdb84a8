// The worker's side, imported by apps/worker only: the API never loads processors.
export * from './notifications-worker.module';
export * from './outbox-relay';
