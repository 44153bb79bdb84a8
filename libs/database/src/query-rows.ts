import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';

export interface QueryOptions {
  /**
   * Run it as a named prepared statement: each connection parses and plans the text once instead of
   * on every call (planning was most of PostgreSQL's CPU per request on the referral paths). For
   * fixed, frequently run statements only: every distinct text stays prepared on every connection.
   */
  prepare?: boolean;
}

/**
 * Runs SQL and returns its rows whatever the command. (TypeORM's plain `query()` answers
 * `[rows, affectedCount]` for UPDATE and DELETE but `rows` for SELECT and INSERT.)
 * Inside a transaction it uses the transaction's connection.
 */
export async function queryRows<T>(
  manager: EntityManager,
  sql: string,
  parameters: unknown[] = [],
  options: QueryOptions = {},
): Promise<T[]> {
  if (options.prepare) return queryPrepared<T>(manager, sql, parameters);
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(sql, parameters, true);
    return result.records as T[];
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}

/** TypeORM cannot name a statement, so this talks to pg directly: the transaction's client, or one from TypeORM's pool. */
async function queryPrepared<T>(manager: EntityManager, sql: string, parameters: unknown[]): Promise<T[]> {
  const query = { name: statementName(sql), text: sql, values: parameters };
  if (manager.queryRunner) {
    // A PostgresQueryRunner's connect() answers the pg client it holds for the transaction.
    const client = await (manager.queryRunner as unknown as { connect(): Promise<PoolClient> }).connect();
    return (await client.query(query)).rows as T[];
  }
  const pool = (manager.connection.driver as unknown as { master: Pool }).master;
  const client = await pool.connect();
  // A connection that breaks while checked out emits 'error' (unhandled, that would end the
  // process); hand it back with the error so the pool drops it instead of reusing it.
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    return (await client.query(query)).rows as T[];
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

const statementNames = new Map<string, string>();

/** A stable name per distinct text (PostgreSQL names are at most 63 bytes). */
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `rl_${createHash('sha1').update(sql).digest('hex')}`;
    statementNames.set(sql, name);
  }
  return name;
}

/**
 * Positional parameters collected while SQL text is composed: `${params.add(value)}` writes `$n`.
 * A cast (`params.add(id, 'uuid')`) is needed where PostgreSQL cannot infer the type, e.g. in the
 * select list of an `INSERT … SELECT`.
 */
export class SqlParams {
  readonly values: unknown[] = [];

  add(value: unknown, cast?: string): string {
    const placeholder = `$${this.values.push(value)}`;
    return cast ? `${placeholder}::${cast}` : placeholder;
  }
}
