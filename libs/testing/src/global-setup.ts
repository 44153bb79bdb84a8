import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertTestDatabase, databaseUrl, TEMPLATE_DATABASE, withAdminClient } from './test-database';

const ROOT = join(__dirname, '..', '..', '..');
const MIGRATE = join(ROOT, 'dist/apps/api/apps/api/src/migrate.js');

/**
 * Once per run: rebuild the template database with the real one-shot `migrate` command, so every
 * test file starts from exactly the schema production gets.
 */
export default async function globalSetup(): Promise<void> {
  assertTestDatabase(TEMPLATE_DATABASE);
  if (!existsSync(MIGRATE)) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  await withAdminClient(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${TEMPLATE_DATABASE}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${TEMPLATE_DATABASE}"`);
  });
  execFileSync('node', [MIGRATE], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl(TEMPLATE_DATABASE),
      REDIS_URL: '',
      JWT_SECRET: 'template-migration-only-secret-0123456789',
      LOG_LEVEL: 'warn',
    },
  });
}
