import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertTestDatabase, databaseUrl, TEMPLATE_ENV, TEMPLATE_PREFIX, withAdminClient } from './test-database';

const ROOT = join(__dirname, '..', '..', '..');
const MIGRATE = join(ROOT, 'dist/apps/api/apps/api/src/migrate.js');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Once per run: build this run's template database with the real one-shot `migrate` command, so
 * every test file starts from exactly the schema production gets. The template is named after the
 * jest process, so two runs on one machine never rebuild each other's template; templates of runs
 * that are gone (killed before their teardown) are dropped here.
 */
export default async function globalSetup(): Promise<void> {
  // Each project (integration, e2e, browser) names this setup; the first call does the work.
  if (process.env[TEMPLATE_ENV]) return;
  const template = `${TEMPLATE_PREFIX}${process.pid}`;
  assertTestDatabase(template);
  if (!existsSync(MIGRATE)) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  await withAdminClient(async (client) => {
    const { rows } = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
      `${TEMPLATE_PREFIX}%`,
    ]);
    for (const { datname } of rows) {
      const pid = Number(datname.slice(TEMPLATE_PREFIX.length));
      if (datname === template || !Number.isInteger(pid) || !isAlive(pid)) {
        assertTestDatabase(datname);
        await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
    await client.query(`CREATE DATABASE "${template}"`);
  });
  execFileSync('node', [MIGRATE], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl(template),
      REDIS_URL: '',
      JWT_SECRET: 'template-migration-only-secret-0123456789',
      LOG_LEVEL: 'warn',
    },
  });
  // The test workers are started after this and inherit it.
  process.env[TEMPLATE_ENV] = template;
}
