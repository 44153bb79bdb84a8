import { createTestDatabase, type TestDatabase } from '@referloop/testing';
import { Client, type QueryConfig } from 'pg';
import { shapePgResults } from './pg-result-shape';

// Named statements are described once per connection (pg-result-shape.ts): what PostgreSQL answers
// them must be what pg alone gives, with one Describe per statement and connection instead of one
// per execution.

/** A client whose Describe messages are counted. */
async function countingClient(url: string): Promise<{ client: Client; describes: () => number }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  const connection = (client as unknown as { connection: { describe: (...args: unknown[]) => void } }).connection;
  const describe = jest.spyOn(connection, 'describe');
  return { client, describes: () => describe.mock.calls.length };
}

describe('named statements described once per connection', () => {
  let db: TestDatabase;
  let ours: Awaited<ReturnType<typeof countingClient>>;

  beforeAll(async () => {
    expect(shapePgResults()).toBe(true);
    db = await createTestDatabase();
    ours = await countingClient(db.url);
    await ours.client.query(`CREATE TABLE shapes (id int PRIMARY KEY, name text, at timestamptz, tags text[], score numeric)`);
    await ours.client.query(
      `INSERT INTO shapes VALUES (1, 'Ada', '2026-12-01T01:02:03.456Z', '{a,b}', 1.5), (2, NULL, NULL, NULL, NULL)`,
    );
  });
  afterAll(async () => {
    await ours?.client.end();
    await db?.drop();
  });

  const byId = (id: number): QueryConfig => ({
    name: 'shapes_by_id',
    text: 'SELECT id, name, at, tags, score, id * 2 AS twice FROM shapes WHERE id = $1',
    values: [id],
  });

  it('answers every execution as pg does, describing only the first', async () => {
    const before = ours.describes();
    const runs = [];
    for (const id of [1, 2, 1, 3]) runs.push(await ours.client.query(byId(id)));
    expect(ours.describes() - before).toBe(1);
    // The same text unnamed: described (and parsed) on every call, as pg alone does.
    const { text, values } = byId(1);
    const plain = await ours.client.query(text, values);
    expect(runs[0].rows).toEqual(plain.rows);
    expect(runs[2].rows).toEqual(plain.rows);
    expect(Object.keys(runs[2].rows[0])).toEqual(Object.keys(plain.rows[0]));
    expect(runs[2].rows[0]).toEqual({
      id: 1,
      name: 'Ada',
      at: new Date('2026-12-01T01:02:03.456Z'),
      tags: ['a', 'b'],
      score: '1.5',
      twice: 2,
    });
    expect(runs[1].rows).toEqual([{ id: 2, name: null, at: null, tags: null, score: null, twice: 4 }]);
    // No row: still its columns, and an empty list.
    expect(runs[3].rows).toEqual([]);
    expect(runs[3].fields.map((field) => field.name)).toEqual(['id', 'name', 'at', 'tags', 'score', 'twice']);
    expect(runs[3].rowCount).toBe(0);
  });

  it('keeps shapes per connection: another connection describes its own first execution', async () => {
    const other = await countingClient(db.url);
    try {
      await other.client.query(byId(1));
      await other.client.query(byId(1));
      expect(other.describes()).toBe(1);
    } finally {
      await other.client.end();
    }
  });

  it('describes every time what it does not keep: unnamed statements, per-query type parsers', async () => {
    const before = ours.describes();
    await ours.client.query('SELECT $1::int AS n', [1]);
    await ours.client.query('SELECT $1::int AS n', [2]);
    const asText = { getTypeParser: () => (value: string) => `text:${value}` };
    const typed = (id: number) => ({ ...byId(id), name: 'shapes_typed', types: asText });
    const first = await ours.client.query(typed(1));
    const second = await ours.client.query(typed(1));
    expect(second.rows).toEqual(first.rows);
    expect(second.rows[0].id).toBe('text:1');
    expect(ours.describes() - before).toBe(4);
  });

  it('gives arrays from a known shape in array mode', async () => {
    await ours.client.query({ ...byId(1), name: 'shapes_array', rowMode: 'array' });
    const again = await ours.client.query({ ...byId(1), name: 'shapes_array', rowMode: 'array' });
    expect(again.rows).toEqual([[1, 'Ada', new Date('2026-12-01T01:02:03.456Z'), ['a', 'b'], '1.5', 2]]);
  });

  it('runs statements without rows as before: no description to keep', async () => {
    const touch = (id: number): QueryConfig => ({
      name: 'shapes_touch',
      text: 'UPDATE shapes SET score = score WHERE id = $1',
      values: [id],
    });
    expect((await ours.client.query(touch(1))).rowCount).toBe(1);
    expect((await ours.client.query(touch(9))).rowCount).toBe(0);
    expect((await ours.client.query(touch(2))).rowCount).toBe(1);
  });

  it('recovers from an execution that fails on a known shape', async () => {
    const ratio = (d: number): QueryConfig => ({ name: 'shapes_ratio', text: 'SELECT 10 / $1::int AS r', values: [d] });
    expect((await ours.client.query(ratio(2))).rows).toEqual([{ r: 5 }]);
    await expect(ours.client.query(ratio(0))).rejects.toThrow(/division by zero/);
    expect((await ours.client.query(ratio(5))).rows).toEqual([{ r: 2 }]);
  });

  it('never answers old columns once the table changed: PostgreSQL refuses the statement, as without the shapes', async () => {
    const all: QueryConfig = { name: 'shapes_star', text: 'SELECT * FROM shapes WHERE id = $1', values: [1] };
    expect(Object.keys((await ours.client.query(all)).rows[0])).toEqual(['id', 'name', 'at', 'tags', 'score']);
    await ours.client.query('ALTER TABLE shapes ADD COLUMN extra int');
    await expect(ours.client.query(all)).rejects.toThrow(/cached plan must not change result type/);
    await ours.client.query('ALTER TABLE shapes DROP COLUMN extra');
  });
});
