import { containsPattern, sql } from './sql';

describe('sql', () => {
  it('numbers values as parameters and keeps them out of the text', () => {
    const name = "Robert'); DROP TABLE patients;--";
    const q = sql`SELECT id FROM patients WHERE clinic_id = ${'c1'} AND name = ${name}`;
    expect(q.text).toBe('SELECT id FROM patients WHERE clinic_id = $1 AND name = $2');
    expect(q.values).toEqual(['c1', name]);
  });

  it('splices nested fragments in and renumbers their values', () => {
    const scope = sql`clinic_id = ${'c1'} AND deleted_at IS NULL`;
    const q = sql`SELECT ${1} AS one FROM t WHERE ${scope} AND id = ${'x'}`;
    expect(q.text).toBe('SELECT $1 AS one FROM t WHERE clinic_id = $2 AND deleted_at IS NULL AND id = $3');
    expect(q.values).toEqual([1, 'c1', 'x']);
  });

  it('casts a parameter', () => {
    const q = sql`SELECT ${sql.param(['a'], 'uuid[]')}, ${sql.param({ a: 1 }, 'jsonb')}`;
    expect(q.text).toBe('SELECT $1::uuid[], $2::jsonb');
    expect(q.values).toEqual([['a'], { a: 1 }]);
  });

  it('numbers parameters of the same cast apart, and splices a fragment given as a parameter', () => {
    const ids = ['a', 'b', 'c'].map((id) => sql.param(id, 'uuid'));
    const q = sql`SELECT ${sql.join(ids)}, ${ids[0]}, ${sql.param(sql`now() - ${'1 day'}`, 'timestamptz')}`;
    expect(q.text).toBe('SELECT $1::uuid, $2::uuid, $3::uuid, $4::uuid, now() - $5::timestamptz');
    expect(q.values).toEqual(['a', 'b', 'c', 'a', '1 day']);
  });

  it('joins fragments with a separator', () => {
    const rows = [1, 2, 3].map((n) => sql`(${n}, ${`v${n}`})`);
    expect(sql`VALUES ${sql.join(rows)}`.text).toBe('VALUES ($1, $2), ($3, $4), ($5, $6)');
    expect(sql`WHERE ${sql.join([sql`a = ${1}`, sql`b = ${2}`], sql` AND `)}`.text).toBe('WHERE a = $1 AND b = $2');
    expect(sql`x${sql.join([])}y`.text).toBe('xy');
    expect(sql.join([sql`only ${1}`]).text).toBe('only $1');
    const separator = sql` OR x = ${0} OR `;
    const joined = sql.join([sql`a = ${1}`, sql`b`, sql`${2} = c`], separator);
    expect(joined.text).toBe('a = $1 OR x = $2 OR b OR x = $3 OR $4 = c');
    expect(joined.values).toEqual([1, 0, 0, 2]);
  });

  it('writes an optional clause as nothing', () => {
    expect(sql`SELECT 1 ${sql.empty}WHERE true`.text).toBe('SELECT 1 WHERE true');
  });

  it('quotes identifiers from a fixed list only', () => {
    const columns = ['updated_at', 'created_at'] as const;
    expect(sql`ORDER BY ${sql.identifier(columns, 'updated_at')}`.text).toBe('ORDER BY "updated_at"');
    expect(() => sql.identifier(columns, 'id; DROP' as 'updated_at')).toThrow('identifier not allowed');
    expect(() => sql.identifier(['Bad"Name'], 'Bad"Name')).toThrow('identifier not allowed');
  });

  it('writes one slot of a template by what goes in it: a value, a fragment, a cast parameter or literals', () => {
    const byId = (id: string) => sql`SELECT * FROM t WHERE id = ${sql.param(id, 'uuid')}`;
    expect(byId('b').text).toBe(byId('a').text);
    expect(byId('b').values).toEqual(['b']);
    const slot = (arg: unknown) => sql`SELECT ${arg} FROM t`;
    expect(slot(1).text).toBe('SELECT $1 FROM t');
    expect(slot(sql`now()`).text).toBe('SELECT now() FROM t');
    expect(slot(sql.param(1, 'int')).text).toBe('SELECT $1::int FROM t');
    expect(slot(sql.param(1, 'bigint')).text).toBe('SELECT $1::bigint FROM t');
    expect(slot(sql`${2} + ${3}`).text).toBe('SELECT $1 + $2 FROM t');
    expect(slot(sql.constants(['x', "o'k"])).text).toBe("SELECT 'x', 'o''k' FROM t");
  });

  it("makes a LIKE pattern that takes the text's own wildcards literally", () => {
    expect(containsPattern('jo')).toBe('%jo%');
    expect(containsPattern('50%_off\\')).toBe('%50\\%\\_off\\\\%');
  });
});
