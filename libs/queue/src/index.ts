export * from './queue-store';
export * from './queue.module';
