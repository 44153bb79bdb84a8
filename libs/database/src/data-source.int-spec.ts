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

  it("add weeks on UTC's clocks whatever zone the server or database defaults to, so a period is exactly its length", async () => {
    await source.query(
      `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone = %L', current_database(), 'America/New_York'); END $$`,
    );
    // A connection opened after the change gets the database's default unless the DataSource sets its own.
    const fresh = createDataSource({ url: db.url, poolSize: 1, applicationName: 'data-source-zone-check' });
    await fresh.initialize();
    try {
      // Two weeks from March 1 cross New York's spring-forward night (March 14): still 336 hours later.
      const [row] = await fresh.query<{ zone: string; later: string }[]>(
        `SELECT current_setting('TimeZone') AS zone,
                to_char(('2027-03-01 15:00Z'::timestamptz + make_interval(weeks => 2)) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS later`,
      );
      expect(row).toEqual({ zone: 'UTC', later: '2027-03-15 15:00' });
    } finally {
      await fresh.destroy();
    }
  });
});
