import { TEMPLATE_ENV, withAdminClient } from './test-database';

/** Drops this run's template database (each project names this teardown; later calls find it gone). */
export default async function globalTeardown(): Promise<void> {
  const template = process.env[TEMPLATE_ENV];
  if (!template) return;
  await withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`));
}
