export * from './test-database';
export * from './test-config';
export * from './fixtures';
