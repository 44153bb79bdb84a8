import { Query, Result } from 'pg';
import { version as installedPgVersion } from 'pg/package.json';
import { v8Check } from '@referloop/testing';
import { pgAddFields, SHAPED_PG_VERSION, shapedAddFields, shapePgResults, shapeReusingPrepare } from './pg-result-shape';

interface TestResult {
  addFields(fields: { name: string; dataTypeID: number; format: string }[]): void;
  parseRow(values: (string | null)[]): Record<string, unknown>;
}

/** The rows a Result builds from `fields` and `values` with `addFields` in place of pg's own. */
function rowsWith(addFields: typeof pgAddFields, fields: { name: string; dataTypeID: number }[], values: (string | null)[][]) {
  const result = new Result('', undefined as never) as unknown as TestResult;
  addFields.call(result as never, fields.map((field) => ({ ...field, format: 'text' })) as never);
  return values.map((row) => result.parseRow(row));
}

/** Whether V8 keeps an object's properties in its fast (shaped) form rather than as a hash table. */
const hasFastProperties = v8Check('HasFastProperties');

const INT4 = 23;
const TEXT = 25;
const BOOL = 16;
const TIMESTAMPTZ = 1184;

describe('pg result shape', () => {
  it('is installed on the pg version it was checked against, and only there', () => {
    // An upgrade of pg fails here: check its Result still builds rows this way and its Query still
    // prepares as shapeReusingPrepare follows, then move the version.
    expect(installedPgVersion).toBe(SHAPED_PG_VERSION);
    expect(shapePgResults('8.24.0')).toBe(false);
    expect(shapePgResults()).toBe(true);
    expect((Result.prototype as unknown as { addFields: unknown }).addFields).toBe(shapedAddFields);
    // Its named statements are described once per connection (pg-result-shape.int-spec.ts).
    expect((Query.prototype as unknown as { prepare: unknown }).prepare).toBe(shapeReusingPrepare);
  });

  it('gives the rows pg gives: the same keys in the same order, the same parsed values, nulls', () => {
    const fields = [
      { name: 'id', dataTypeID: INT4 },
      { name: 'fullName', dataTypeID: TEXT },
      { name: 'active', dataTypeID: BOOL },
      { name: 'createdAt', dataTypeID: TIMESTAMPTZ },
      ...Array.from({ length: 48 }, (_, i) => ({ name: `extra${i}`, dataTypeID: TEXT })),
    ];
    const values = [
      ['7', 'Ada', 't', '2026-12-01 01:02:03.456+00', ...Array.from({ length: 48 }, (_, i) => `v${i}`)],
      [null, null, 'f', null, ...Array.from({ length: 48 }, () => null)],
    ];
    const ours = rowsWith(shapedAddFields, fields, values);
    const pgs = rowsWith(pgAddFields, fields, values);
    expect(ours).toEqual(pgs);
    expect(ours.map((row) => Object.keys(row))).toEqual(pgs.map((row) => Object.keys(row)));
    expect(ours[0]).toMatchObject({ id: 7, fullName: 'Ada', active: true, createdAt: new Date('2026-12-01T01:02:03.456Z') });
    expect(Object.getPrototypeOf(ours[0])).toBe(Object.prototype);
  });

  it('keeps the last of two columns of one name, as pg does', () => {
    const fields = [
      { name: 'n', dataTypeID: INT4 },
      { name: 'n', dataTypeID: TEXT },
    ];
    expect(rowsWith(shapedAddFields, fields, [['1', 'two']])).toEqual(rowsWith(pgAddFields, fields, [['1', 'two']]));
  });

  it('builds the empty row with fast properties, for the 52 columns of a view too (each row copies it)', () => {
    const fields = Array.from({ length: 52 }, (_, i) => ({ name: `column${i}`, dataTypeID: TEXT, format: 'text' as const }));
    const result = new Result('', undefined as never) as unknown as { _prebuiltEmptyResultObject: object };
    shapedAddFields.call(result as never, fields);
    // A hash-table empty row is copied on V8's slow path, one property at a time, for every data row.
    expect(hasFastProperties(result._prebuiltEmptyResultObject)).toBe(true);
    // The control: as many new names added one by one with computed keys make a hash table, so the
    // check can tell (new names: those of the empty row now have transitions to follow).
    const added: Record<string, null> = {};
    for (const field of fields) added[`other_${field.name}`] = null;
    expect(hasFastProperties(added)).toBe(false);
  });

  it('keeps a column named __proto__ a column, as pg does (not the prototype)', () => {
    const fields = [
      { name: '__proto__', dataTypeID: TEXT },
      { name: 'n', dataTypeID: INT4 },
    ];
    const [row] = rowsWith(shapedAddFields, fields, [['x', '1']]);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(row.n).toBe(1);
    expect(Object.keys(row)).toEqual(Object.keys(rowsWith(pgAddFields, fields, [['x', '1']])[0]));
  });
});
