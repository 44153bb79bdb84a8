import * as pg from 'pg';
import { version as installedPgVersion } from 'pg/package.json';

/**
 * pg (8.23) starts every result by building an empty row to copy for each data row: it adds the
 * column names to a null-prototype object, which V8 keeps as a hash table, and spreads that into a
 * plain object, which V8 does one property at a time on its slow path. For the 52 columns of a
 * referral view that took ~15 µs per query, more than parsing the row itself, and up to a tenth of
 * the API's CPU on a one-row read (measured in bench/, see docs/performance.md). The empty row is
 * built here with `Object.fromEntries`, which V8 gives fast (in-order, shaped) properties: adding
 * the names one by one with computed keys turns an object into a hash table again after a dozen,
 * and every data row's copy of it then takes the slow path too (~8 µs against ~1.5 µs per 53-column
 * row in a microbenchmark; a tenth of the API's CPU on a 50-row box page).
 *
 * Tied to pg's Result and Query internals, so it replaces them only on the pg version it was
 * checked against (pg-result-shape.spec.ts compares its rows with pg's own and fails on another
 * version; pg-result-shape.int-spec.ts checks the answers of PostgreSQL itself).
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

const resultPrototype = pg.Result.prototype as unknown as { addFields: AddFields };
/** pg's own, kept for the spec to compare with. */
export const pgAddFields: AddFields = resultPrototype.addFields;

/** The same work as pg's `addFields`, with the empty row built as a plain object with fast properties. */
export const shapedAddFields: AddFields = function (this: ResultInternals, fields: FieldDescription[]) {
  this.fields = fields;
  if (fields.length) this._parsers = new Array<ValueParser>(fields.length);
  const parsers: TypeParsers = this._types ?? pg.types;
  for (let i = 0; i < fields.length; i++) {
    (this._parsers as ValueParser[])[i] = parsers.getTypeParser(fields[i].dataTypeID, fields[i].format || 'text');
  }
  // Defined, not assigned: a column named `__proto__` stays a column, as in pg's own row.
  this._prebuiltEmptyResultObject = Object.fromEntries(fields.map((field) => [field.name, null]));
};

/**
 * pg also asks PostgreSQL to describe the result of every execution (a Describe before the Execute),
 * so a named statement's answer carries its column list every time, which pg parses and turns into
 * parsers and an empty row every time (4–10 % of the API's CPU on a one-row read, measured in one
 * process against pg's own: docs/performance.md, "Thirty-fourth machine"). A
 * named statement's columns cannot change while it stays prepared on a connection: PostgreSQL
 * refuses to run it ("cached plan must not change result type") rather than answer other columns.
 * So the first description of each named statement is kept per connection, and its later
 * executions skip the Describe and reuse it. Only for statements without per-query type parsers
 * and without a row limit (cursors), as the app runs them.
 */
interface RowShape {
  fields: FieldDescription[];
  parsers: ValueParser[] | undefined;
  empty: Record<string, null> | null;
}

/** pg's Connection, as far as a query's preparation uses it. */
interface PgConnection {
  bind(config: { portal: string; statement: string; values: unknown; binary: unknown; valueMapper: unknown }): void;
  close(message: { type: 'S'; name: string }): void;
  sync(): void;
}

/** pg's Query, as far as its preparation uses it. */
interface QueryInternals {
  name: string | undefined;
  values: unknown;
  rows: number | undefined;
  types: unknown;
  binary: unknown;
  portal: string;
  callback: unknown;
  _result: ResultInternals;
  _accumulateRows: boolean;
  /** The connection that will describe this execution, to keep its description. */
  _describedOn?: PgConnection;
  handleError(error: unknown, connection: PgConnection): void;
  listeners(event: 'row'): unknown[];
  _getRows(connection: PgConnection, rows: number | undefined): void;
}

type HandleRowDescription = (this: QueryInternals, message: { fields: FieldDescription[] }) => void;
type Prepare = (this: QueryInternals, connection: PgConnection) => void;

const queryPrototype = pg.Query.prototype as unknown as { prepare: Prepare; handleRowDescription: HandleRowDescription };
/** pg's own, which the replacements below call or follow. */
export const pgPrepare: Prepare = queryPrototype.prepare;
const pgHandleRowDescription: HandleRowDescription = queryPrototype.handleRowDescription;

/** How pg turns a parameter into its text (exported by pg at run time, not in its type declarations). */
const { prepareValue } = (pg as unknown as { utils: { prepareValue: (value: unknown) => unknown } }).utils;

/** Per connection, each named statement's row shape, as first described. */
const rowShapes = new WeakMap<PgConnection, Map<string, RowShape>>();

/** Whether a query's result may come from, or go into, the shapes kept for its connection. */
const shapeable = (query: QueryInternals): query is QueryInternals & { name: string } =>
  !!query.name && !query.rows && !query.types;

/** pg's, keeping the shape of a named statement's first description. */
const shapeKeepingHandleRowDescription: HandleRowDescription = function (this: QueryInternals, message) {
  pgHandleRowDescription.call(this, message);
  const connection = this._describedOn;
  if (!connection || !shapeable(this)) return;
  let shapes = rowShapes.get(connection);
  if (!shapes) rowShapes.set(connection, (shapes = new Map<string, RowShape>()));
  const result = this._result;
  shapes.set(this.name, { fields: result.fields, parsers: result._parsers, empty: result._prebuiltEmptyResultObject });
};

/** pg's `prepare` (8.23.1), with the Describe left out when the statement's shape is known. */
export const shapeReusingPrepare: Prepare = function (this: QueryInternals, connection: PgConnection) {
  const shape = shapeable(this) ? rowShapes.get(connection)?.get(this.name) : undefined;
  if (!shape) {
    this._describedOn = connection;
    return pgPrepare.call(this, connection);
  }
  // Shapes are kept for named statements that were parsed on this connection: no Parse to send here.
  const statement = this.name as string;
  try {
    connection.bind({
      portal: this.portal,
      statement,
      values: this.values,
      binary: this.binary,
      valueMapper: prepareValue,
    });
  } catch (error) {
    connection.close({ type: 'S', name: statement });
    connection.sync();
    this.handleError(error, connection);
    return;
  }
  // What handleRowDescription would have done with the description PostgreSQL is no longer asked for.
  const result = this._result;
  result.fields = shape.fields;
  result._parsers = shape.parsers;
  result._prebuiltEmptyResultObject = shape.empty;
  this._accumulateRows = !!this.callback || !this.listeners('row').length;
  this._getRows(connection, this.rows);
};

/**
 * Installs {@link shapedAddFields} and {@link shapeReusingPrepare} when pg is the checked version;
 * leaves any other version as it is.
 */
export function shapePgResults(installedVersion: string = installedPgVersion): boolean {
  if (installedVersion !== SHAPED_PG_VERSION) return false;
  resultPrototype.addFields = shapedAddFields;
  queryPrototype.handleRowDescription = shapeKeepingHandleRowDescription;
  queryPrototype.prepare = shapeReusingPrepare;
  return true;
}
