import type { EntityManager } from 'typeorm';

/**
 * Runs SQL and returns its rows whatever the command. (TypeORM's plain `query()` answers
 * `[rows, affectedCount]` for UPDATE and DELETE but `rows` for SELECT and INSERT.)
 * Inside a transaction it uses the transaction's connection.
 */
export async function queryRows<T>(manager: EntityManager, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(sql, parameters, true);
    return result.records as T[];
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}
