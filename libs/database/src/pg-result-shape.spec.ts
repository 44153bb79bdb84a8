import { Query, Result } from 'pg';
import { version as installedPgVersion } from 'pg/package.json';
import { v8Check } from '@referloop/testing';
import {
  pgAddFields,
  pgParseRow,
  rowBuilderFor,
  SHAPED_PG_VERSION,
  shapedAddFields,
  shapedParseRow,
  shapePgResults,
  shapeReusingPrepare,
} from './pg-result-shape';

type Fields = { name: string; dataTypeID: number; format?: 'text' | 'binary' }[];

/** The rows a Result builds from `fields` and `values`, ours or pg's own way. */
function rowsWith(way: 'ours' | 'pg', fields: Fields, values: (string | null)[][]) {
  const [addFields, parseRow] = way === 'ours' ? [shapedAddFields, shapedParseRow] : [pgAddFields, pgParseRow];
  const result = new Result('', undefined as never) as never;
  addFields.call(
    result,
    fields.map((field) => ({ format: 'text' as const, ...field })),
  );
  return values.map((row) => parseRow.call(result, row));
}

/** Whether V8 keeps an object's properties in its fast (shaped) form rather than as a hash table. */
const hasFastProperties = v8Check('HasFastProperties');
const haveSameMap = v8Check('HaveSameMap');

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
    expect((Result.prototype as unknown as { parseRow: unknown }).parseRow).toBe(shapedParseRow);
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
    const ours = rowsWith('ours', fields, values);
    const pgs = rowsWith('pg', fields, values);
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
    const [ours] = rowsWith('ours', fields, [['1', 'two']]);
    const [pgs] = rowsWith('pg', fields, [['1', 'two']]);
    expect(ours).toEqual(pgs);
    expect(ours).toEqual({ n: 'two' });
  });

  it('builds the rows of one column list with one builder, made once, and rows with fast properties', () => {
    const view = Array.from({ length: 52 }, (_, i) => ({ name: `column${i}`, dataTypeID: TEXT, format: 'text' as const }));
    const other = view.map((field) => ({ ...field, name: `other_${field.name}` }));
    expect(rowBuilderFor(view)).toBe(rowBuilderFor([...view]));
    expect(rowBuilderFor(other)).not.toBe(rowBuilderFor(view));
    const [first, second] = rowsWith('ours', view, [view.map((_, i) => `a${i}`), view.map(() => null)]);
    expect(hasFastProperties(first)).toBe(true);
    expect(haveSameMap(first, second)).toBe(true);
  });

  it('leaves a result with a binary column to pg, with an empty row of fast properties to copy', () => {
    const fields = Array.from({ length: 52 }, (_, i) => ({ name: `column${i}`, dataTypeID: TEXT, format: 'text' as const }));
    const binary = [...fields, { name: 'blob', dataTypeID: 17, format: 'binary' as const }];
    expect(rowBuilderFor(binary)).toBeNull();
    const result = new Result('', undefined as never) as unknown as { _prebuiltEmptyResultObject: object };
    shapedAddFields.call(result as never, binary);
    // A hash-table empty row is copied on V8's slow path, one property at a time, for every data row.
    expect(hasFastProperties(result._prebuiltEmptyResultObject)).toBe(true);
    // The control: as many new names added one by one with computed keys make a hash table, so the
    // check can tell (new names: those of the empty row now have transitions to follow).
    const added: Record<string, null> = {};
    for (const field of binary) added[`other_${field.name}`] = null;
    expect(hasFastProperties(added)).toBe(false);
    const [row] = rowsWith('ours', binary, [[...fields.map(() => 'x'), '\\x00']]);
    expect(row).toEqual(rowsWith('pg', binary, [[...fields.map(() => 'x'), '\\x00']])[0]);
  });

  it('keeps a column named __proto__ a column, as pg does (not the prototype)', () => {
    const fields = [
      { name: '__proto__', dataTypeID: TEXT },
      { name: 'n', dataTypeID: INT4 },
    ];
    const [row] = rowsWith('ours', fields, [['x', '1']]);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(row.n).toBe(1);
    expect(Object.keys(row)).toEqual(Object.keys(rowsWith('pg', fields, [['x', '1']])[0]));
  });
});
