import * as pg from 'pg';
import { version as installedPgVersion } from 'pg/package.json';

/**
 * pg (8.23) builds each data row by copying an empty row of the statement's columns (`{ ...empty }`)
 * and assigning each column by name. That copy is one spot in pg for every statement the app runs,
 * so V8's cache for it has seen too many shapes and copies on its slow path, one property at a time,
 * and the assignments by computed name miss V8's caches too: for the 50 rows of 52 columns of a
 * box page, ~2.5 µs a row (3.6 % of the API's samples on the box: docs/performance.md,
 * "Thirty-seventh machine"). Here each distinct column list gets a row builder of its own, a
 * function returning one object literal with those columns (`new Function`, from the names
 * PostgreSQL describes, each written as a JSON string): V8 builds it from a template with the shape
 * already known, ~0.1 µs a row, and every row of a statement shares one hidden class.
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

/** A data row's values as PostgreSQL sent them (text; null for NULL). */
type RowValues = (string | null)[];

/** Builds the row of one column list from its values and the columns' parsers. */
export type RowBuilder = (values: RowValues, parsers: ValueParser[]) => Record<string, unknown>;

interface ResultInternals {
  fields: FieldDescription[];
  _parsers: ValueParser[] | undefined;
  _types: TypeParsers | undefined;
  _prebuiltEmptyResultObject: Record<string, null> | null;
  /** Ours: the builder of this result's rows; none for binary columns (pg's own parseRow then). */
  _buildRow?: RowBuilder | null;
}

interface FieldDescription {
  name: string;
  dataTypeID: number;
  format?: 'text' | 'binary';
}

type AddFields = (this: ResultInternals, fields: FieldDescription[]) => void;
type ParseRow = (this: ResultInternals, values: RowValues) => Record<string, unknown>;

const resultPrototype = pg.Result.prototype as unknown as { addFields: AddFields; parseRow: ParseRow };
/** pg's own, kept for the spec to compare with (and parseRow for binary columns). */
export const pgAddFields: AddFields = resultPrototype.addFields;
export const pgParseRow: ParseRow = resultPrototype.parseRow;

/** Builders by column list: a statement's columns are fixed, and the app runs a fixed set of statements. */
const rowBuilders = new Map<string, RowBuilder>();
/** A bound for a process that runs ad-hoc SQL (an operator's tool): the oldest builder goes first. */
const MAX_ROW_BUILDERS = 1_000;

/**
 * The builder of rows of `fields`, or null when a column is binary (pg's own parseRow copes). Of two
 * columns of one name the last one's value is kept at the first one's place, as in pg's row; a column
 * named `__proto__` stays a column (a computed key defines it; a plain one would set the prototype).
 */
export function rowBuilderFor(fields: FieldDescription[]): RowBuilder | null {
  if (fields.some((field) => field.format === 'binary')) return null;
  // PostgreSQL names cannot hold a NUL: the key is the column list.
  const key = fields.map((field) => field.name).join('\u0000');
  let builder = rowBuilders.get(key);
  if (!builder) {
    const lastOfName = new Map<string, number>();
    fields.forEach((field, i) => lastOfName.set(field.name, i));
    const properties = [...lastOfName].map(([name, i]) => {
      const property = name === '__proto__' ? '["__proto__"]' : JSON.stringify(name);
      return `${property}: v[${i}] === null ? null : p[${i}](v[${i}])`;
    });
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a literal per column list is the point (see above)
    builder = new Function('v', 'p', `return { ${properties.join(', ')} };`) as RowBuilder;
    if (rowBuilders.size >= MAX_ROW_BUILDERS) rowBuilders.delete(rowBuilders.keys().next().value as string);
    rowBuilders.set(key, builder);
  }
  return builder;
}

/** The same work as pg's `addFields`, with a row builder for its columns instead of an empty row to copy. */
export const shapedAddFields: AddFields = function (this: ResultInternals, fields: FieldDescription[]) {
  this.fields = fields;
  if (fields.length) this._parsers = new Array<ValueParser>(fields.length);
  const parsers: TypeParsers = this._types ?? pg.types;
  for (let i = 0; i < fields.length; i++) {
    (this._parsers as ValueParser[])[i] = parsers.getTypeParser(fields[i].dataTypeID, fields[i].format || 'text');
  }
  this._buildRow = rowBuilderFor(fields);
  // pg's parseRow, for binary columns, copies this. Defined, not assigned: `__proto__` stays a column.
  this._prebuiltEmptyResultObject = this._buildRow ? null : Object.fromEntries(fields.map((field) => [field.name, null]));
};

/** pg's `parseRow`, through the result's row builder. */
export const shapedParseRow: ParseRow = function (this: ResultInternals, values: RowValues) {
  const build = this._buildRow;
  return build ? build(values, this._parsers as ValueParser[]) : pgParseRow.call(this, values);
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
  buildRow: RowBuilder | null | undefined;
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
  shapes.set(this.name, {
    fields: result.fields,
    parsers: result._parsers,
    empty: result._prebuiltEmptyResultObject,
    buildRow: result._buildRow,
  });
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
  result._buildRow = shape.buildRow;
  this._accumulateRows = !!this.callback || !this.listeners('row').length;
  this._getRows(connection, this.rows);
};

/**
 * Installs {@link shapedAddFields}, {@link shapedParseRow} and {@link shapeReusingPrepare} when pg is
 * the checked version; leaves any other version as it is.
 */
export function shapePgResults(installedVersion: string = installedPgVersion): boolean {
  if (installedVersion !== SHAPED_PG_VERSION) return false;
  resultPrototype.addFields = shapedAddFields;
  resultPrototype.parseRow = shapedParseRow;
  queryPrototype.handleRowDescription = shapeKeepingHandleRowDescription;
  queryPrototype.prepare = shapeReusingPrepare;
  return true;
}
