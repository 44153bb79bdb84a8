import { createHash } from 'node:crypto';
import type { QueryConfig } from 'pg';
import type { EntityManager } from 'typeorm';
import type { Sql } from './sql';

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
export async function queryRows<T>(manager: EntityManager, query: Sql, options: QueryOptions = {}): Promise<T[]> {
  const sql = query.text;
  const parameters = [...query.values];
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    const result = await runner.query(options.prepare ? preparedStatement(sql) : sql, parameters, true);
    return result.records as T[];
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}

/**
 * TypeORM's query runner hands its query to pg's `client.query(query, parameters)` as it is, and pg
 * takes a query config there: a named one is parsed and planned once per connection. TypeORM types the
 * argument as a string, hence the cast; query-rows.int-spec.ts checks the statement really is prepared.
 */
function preparedStatement(sql: string): string {
  const query: QueryConfig = { name: statementName(sql), text: sql };
  return query as unknown as string;
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
