import { queryRows, sql } from '@referloop/database';
import type { DataSource } from 'typeorm';

/** The readiness probe's one statement: resolves when the database answers a trivial query. */
export async function databaseAnswers(db: DataSource): Promise<void> {
  await queryRows(db.manager, sql`SELECT 1`);
}
