import { createTestDatabase, type TestDatabase } from '@referloop/testing';
import type { DataSource } from 'typeorm';
import { createDataSource } from './data-source';

// The DataSource's connections plan for tables held in memory: a create's statement joins the row it
// inserted to small tables (clinics, invites), and hashing a whole small table for one row was a
// sequential scan of it on every create and action.

describe("the DataSource's connections", () => {
  let db: TestDatabase;
  let source: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    source = createDataSource({ url: db.url, poolSize: 1, applicationName: 'data-source-check' });
    await source.initialize();
    await source.query(`CREATE TABLE small (id uuid PRIMARY KEY, name text NOT NULL)`);
    await source.query(`INSERT INTO small SELECT gen_random_uuid(), 'clinic ' || n FROM generate_series(1, 200) n`);
    await source.query(`CREATE TABLE big (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), small_id uuid NOT NULL)`);
    await source.query(`ANALYZE small`);
    await source.query(`ANALYZE big`);
  });
  afterAll(async () => {
    await source?.destroy();
    await db?.drop();
  });

  it('join the row a statement inserted to a small table by its index, not by hashing the whole table', async () => {
    const plan = (
      await source.query<{ 'QUERY PLAN': string }[]>(
        `EXPLAIN WITH added AS (INSERT INTO big (small_id) SELECT id FROM small LIMIT 1 RETURNING *)
         SELECT s.name FROM added a JOIN small s ON s.id = a.small_id`,
      )
    )
      .map((row) => row['QUERY PLAN'])
      .join('\n');
    expect(plan).toContain('Index Scan using small_pkey on small s');
    expect(plan).not.toContain('Seq Scan on small s');
  });
});
