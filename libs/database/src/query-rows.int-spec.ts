import { createTestDatabase, type TestDatabase } from '@referloop/testing';
import type { DataSource } from 'typeorm';
import { createDataSource } from './data-source';
import { queryRows } from './query-rows';
import { sql } from './sql';

// `prepare: true` relies on TypeORM passing pg's query config through its query runner unchanged:
// if it ever stops doing so, the statement would silently be planned on every call again.

describe('queryRows', () => {
  let db: TestDatabase;
  let source: DataSource;
  const preparedNames = async () =>
    (await source.query<{ name: string; statement: string }[]>(`SELECT name, statement FROM pg_prepared_statements`)).filter(
      (row) => row.statement.includes('prepared-check'),
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    // One connection, so every query below runs on the connection that prepared the statement.
    source = createDataSource({ url: db.url, poolSize: 1, applicationName: 'query-rows-check' });
    await source.initialize();
  });
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  it('runs a statement unprepared by default', async () => {
    await expect(queryRows(source.manager, sql`SELECT ${1}::int + 1 AS n, 'prepared-check' AS note`)).resolves.toEqual([
      { n: 2, note: 'prepared-check' },
    ]);
    await expect(preparedNames()).resolves.toEqual([]);
  });

  it('prepares a named statement once per connection, also inside a transaction', async () => {
    const doubled = (n: number) => sql`SELECT ${n}::int * 2 AS n, 'prepared-check' AS note`;
    await expect(queryRows(source.manager, doubled(21), { prepare: true })).resolves.toEqual([{ n: 42, note: 'prepared-check' }]);
    const inTransaction = await source.transaction((tx) => queryRows<{ n: number }>(tx, doubled(5), { prepare: true }));
    expect(inTransaction).toEqual([{ n: 10, note: 'prepared-check' }]);
    const prepared = await preparedNames();
    expect(prepared).toHaveLength(1);
    expect(prepared[0].name).toMatch(/^rl_[0-9a-f]{40}$/);
  });

  it('answers the rows of an UPDATE (not TypeORM’s [rows, count] pair)', async () => {
    await source.query(`CREATE TEMP TABLE t (n int)`);
    await source.query(`INSERT INTO t VALUES (1), (2)`);
    await expect(queryRows(source.manager, sql`UPDATE t SET n = n + 10 RETURNING n`, { prepare: true })).resolves.toEqual([
      { n: 11 },
      { n: 12 },
    ]);
  });
});
