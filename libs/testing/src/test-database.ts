import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** Server the test databases live on; the machine's PostgreSQL unless TEST_DATABASE_URL says otherwise. */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Prefix of the per-run template databases; the run's jest process id follows it. */
export const TEMPLATE_PREFIX = 'referloop_test_template_';
/** Set by the global setup (and inherited by the test workers): the template this run clones. */
export const TEMPLATE_ENV = 'REFERLOOP_TEST_TEMPLATE';

/** Migrated once per run by the global setup; every test file of the run clones it. */
export function templateDatabase(): string {
  const name = process.env[TEMPLATE_ENV];
  if (!name) throw new Error(`${TEMPLATE_ENV} is unset: the jest global setup creates the template database`);
  return name;
}

/** Refuses any database whose name does not mark it as a test database. */
export function assertTestDatabase(name: string): void {
  if (!/(^|_)test(_|$)/.test(name)) {
    throw new Error(`Refusing to touch database "${name}": test databases must have "test" in their name`);
  }
}

export function databaseUrl(name: string): string {
  assertTestDatabase(name);
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdminClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database for one test file (a copy of the template). */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `referloop_test_${randomBytes(6).toString('hex')}`;
  assertTestDatabase(name);
  await withAdminClient((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${templateDatabase()}"`));
  return {
    name,
    url: databaseUrl(name),
    drop: () => withAdminClient((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}
