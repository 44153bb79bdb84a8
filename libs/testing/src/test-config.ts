import { randomBytes } from 'node:crypto';
import { type AppConfig, loadConfig } from '@referloop/config';
import { TEST_REDIS_URL } from './test-database';

/** Configuration for a test file: its own database and its own queue prefix on the shared Redis. */
export function testConfig(databaseUrl: string, env: Record<string, string> = {}): AppConfig {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    JWT_SECRET: `test-secret-${randomBytes(16).toString('hex')}`,
    QUEUE_PREFIX: `test_${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'silent',
    AUTH_RATE_LIMIT_PER_MINUTE: '10000',
    PUBLIC_URL: 'http://referloop.test',
    ...env,
  });
}
