export * from './test-database';
export * from './test-config';
export * from './test-redis';
export * from './fixtures';
export * from './statement-plan';
export * from './v8-checks';
