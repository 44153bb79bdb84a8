import { Result, types } from 'pg';
import { version as installedPgVersion } from 'pg/package.json';

/**
 * pg (8.23) starts every result by building an empty row to copy for each data row: it adds the
 * column names to a null-prototype object, which V8 keeps as a hash table, and spreads that into a
 * plain object, which V8 does one property at a time on its slow path. For the 52 columns of a
 * referral view that took ~15 µs per query, more than parsing the row itself, and up to a tenth of
 * the API's CPU on a one-row read (measured in bench/, see docs/performance.md). Building the same
 * empty row as a plain object gives the same rows (same keys, same order) ~5x faster.
 *
 * Tied to pg's Result internals, so it replaces them only on the pg version it was checked
 * against (pg-result-shape.spec.ts compares its rows with pg's own and fails on another version).
 */
export const SHAPED_PG_VERSION = '8.23.1';

type ValueParser = (value: string) => unknown;

interface TypeParsers {
  getTypeParser(oid: number, format: 'text' | 'binary'): ValueParser;
}

interface ResultInternals {
  fields: FieldDescription[];
  _parsers: ValueParser[] | undefined;
  _types: TypeParsers | undefined;
  _prebuiltEmptyResultObject: Record<string, null> | null;
}

interface FieldDescription {
  name: string;
  dataTypeID: number;
  format?: 'text' | 'binary';
}

type AddFields = (this: ResultInternals, fields: FieldDescription[]) => void;

const resultPrototype = Result.prototype as unknown as { addFields: AddFields };
/** pg's own, kept for columns a plain object cannot take as a key (`__proto__`) and for the spec. */
export const pgAddFields: AddFields = resultPrototype.addFields;

/** The same work as pg's `addFields`, with the empty row built as a plain object. */
export const shapedAddFields: AddFields = function (this: ResultInternals, fields: FieldDescription[]) {
  // On a plain object `__proto__` would set the prototype instead of adding a column.
  if (fields.some((field) => field.name === '__proto__')) return pgAddFields.call(this, fields);
  this.fields = fields;
  if (fields.length) this._parsers = new Array<ValueParser>(fields.length);
  const parsers: TypeParsers = this._types ?? types;
  const empty: Record<string, null> = {};
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    empty[field.name] = null;
    (this._parsers as ValueParser[])[i] = parsers.getTypeParser(field.dataTypeID, field.format || 'text');
  }
  this._prebuiltEmptyResultObject = empty;
};

/** Installs {@link shapedAddFields} when pg is the checked version; leaves any other version as it is. */
export function shapePgResults(installedVersion: string = installedPgVersion): boolean {
  if (installedVersion !== SHAPED_PG_VERSION) return false;
  resultPrototype.addFields = shapedAddFields;
  return true;
}
