import type { DataSource } from 'typeorm';

/**
 * The plan PostgreSQL makes for the first statement `run` sends through a store built on one
 * connection of `source` (captured on its way to the real database, prepared or not), as text or as
 * JSON. Sequential scans are off while it is planned: a test database's tables are tiny, so the
 * planner would read them whole either way.
 */
export async function statementPlan<S>(
  source: DataSource,
  storeOn: (db: DataSource) => S,
  run: (store: S) => Promise<unknown>,
  format: 'TEXT' | 'JSON' = 'TEXT',
): Promise<string> {
  const runner = source.createQueryRunner();
  const query = jest.spyOn(runner, 'query');
  try {
    // The store on this runner's connection (its manager), so the statement is the one captured.
    await run(storeOn({ manager: runner.manager } as unknown as DataSource));
    // A prepared statement goes as pg's { name, text }.
    const [statement, parameters] = query.mock.calls[0] as [string | { text: string }, unknown[]];
    const text = typeof statement === 'string' ? statement : statement.text;
    query.mockRestore();
    await runner.query(`SET enable_seqscan = off`);
    const rows = (await runner.query(`EXPLAIN (FORMAT ${format}) ${text}`, parameters)) as { 'QUERY PLAN': unknown }[];
    return format === 'JSON' ? JSON.stringify(rows[0]['QUERY PLAN']) : rows.map((row) => row['QUERY PLAN']).join('\n');
  } finally {
    await runner.query(`RESET enable_seqscan`);
    await runner.release();
  }
}
