/**
 * The one way SQL is written in ReferLoop: a tagged template that keeps the text and the values
 * apart. Interpolated values become numbered parameters (`$1`, `$2`, …); an interpolated `Sql`
 * fragment is spliced in with its own values renumbered, so statements are composed from pieces
 * without anyone counting placeholders. Nothing a caller passes can become SQL text except through
 * {@link sql.identifier}, which only accepts names from a fixed list.
 *
 * ```ts
 * const where = sql`clinic_id = ${clinicId}`;
 * const q = sql`SELECT id FROM patients WHERE ${where} AND id = ANY(${sql.param(ids, 'uuid[]')})`;
 * q.text;   // 'SELECT id FROM patients WHERE clinic_id = $1 AND id = ANY($2::uuid[])'
 * q.values; // [clinicId, ids]
 * ```
 */

/** The casts a parameter may carry: where PostgreSQL cannot infer a type (e.g. `INSERT … SELECT`). */
export type SqlCast =
  | 'uuid'
  | 'uuid[]'
  | 'text'
  | 'text[]'
  | 'int'
  | 'int[]'
  | 'bigint'
  | 'numeric'
  | 'boolean'
  | 'date'
  | 'timestamptz'
  | 'timestamptz[]'
  | 'jsonb'
  | 'interval';

/** The text pieces of a parameter of each cast, shared (see {@link Sql.param}). */
const CAST_PARTS = new Map<SqlCast, readonly string[]>();

export class Sql {
  /** `strings.length === values.length + 1`, as in a template literal. */
  private constructor(
    private readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /** Builds a fragment from template parts, splicing nested fragments in. (Plain loops: every request builds its statements.) */
  static from(parts: readonly string[], values: readonly unknown[]): Sql {
    const strings: string[] = [parts[0]];
    const flat: unknown[] = [];
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if (value instanceof Sql) {
        Sql.splice(strings, flat, value);
        strings[strings.length - 1] += parts[i + 1];
      } else {
        flat.push(value);
        strings.push(parts[i + 1]);
      }
    }
    return new Sql(strings, flat);
  }

  /**
   * One parameter with a cast. Its two text pieces (`''` and `::cast`) are shared by every parameter
   * of that cast: a create's statement takes some eighty parameters, and building them was a tenth of
   * the bytes its request allocated.
   */
  static param(value: unknown, cast: SqlCast): Sql {
    let parts = CAST_PARTS.get(cast);
    if (!parts) {
      parts = ['', `::${cast}`];
      CAST_PARTS.set(cast, parts);
    }
    // A fragment given as the value is spliced in, as in any template.
    return value instanceof Sql ? Sql.from(parts, [value]) : new Sql(parts, [value]);
  }

  /** Fragments joined by `separator`, spliced in one pass (no template parts to build first). */
  static join(fragments: readonly Sql[], separator: Sql): Sql {
    if (fragments.length === 0) return EMPTY;
    const strings: string[] = [''];
    const values: unknown[] = [];
    for (let i = 0; i < fragments.length; i++) {
      if (i > 0) Sql.splice(strings, values, separator);
      Sql.splice(strings, values, fragments[i]);
    }
    return new Sql(strings, values);
  }

  /** Appends `piece` to the text pieces and values being built (by `from` and `join`): its first piece continues the last one. */
  private static splice(strings: string[], values: unknown[], piece: Sql): void {
    strings[strings.length - 1] += piece.strings[0];
    for (let j = 1; j < piece.strings.length; j++) strings.push(piece.strings[j]);
    for (let j = 0; j < piece.values.length; j++) values.push(piece.values[j]);
  }

  /** The statement text with `$n` placeholders (joined, not concatenated: a flat string hashes at once as a cache key). */
  get text(): string {
    const pieces: string[] = [this.strings[0]];
    for (let i = 1; i < this.strings.length; i++) pieces.push(`$${i}`, this.strings[i]);
    return pieces.join('');
  }
}

const EMPTY = Sql.from([''], []);

/** Tagged template: `sql\`SELECT … WHERE id = ${id}\``. */
export function sql(parts: TemplateStringsArray, ...values: unknown[]): Sql {
  return Sql.from(parts, values);
}

/** A parameter with a cast: `${sql.param(ids, 'uuid[]')}` writes `$n::uuid[]`. */
sql.param = (value: unknown, cast: SqlCast): Sql => Sql.param(value, cast);

const COMMA = sql`, `;

/** Fragments joined by a separator (a comma by default); no fragments give an empty fragment. */
sql.join = (fragments: readonly Sql[], separator: Sql = COMMA): Sql => Sql.join(fragments, separator);

/** A quoted identifier (column, table, alias or sort key; case kept), only from the caller's fixed list of names. */
sql.identifier = <const T extends string>(allowed: readonly T[], name: T): Sql => {
  if (!allowed.includes(name) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`identifier not allowed: ${name}`);
  return Sql.from([`"${name}"`], []);
};

/**
 * The code's own constants (statuses, event types) as SQL literals: `'a', 'b'`. Literals, not a
 * parameter, so the planner matches the partial indexes whose predicates name the same lists.
 */
sql.constants = (values: readonly string[]): Sql => Sql.from([values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')], []);

/** Nothing: for an optional clause, `${condition ? sql\`AND …\` : sql.empty}`. */
sql.empty = EMPTY;

/** A LIKE pattern that matches `text` anywhere, its own `%`, `_` and `\\` taken literally (LIKE's default escape). */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** A timestamptz with microseconds, for keyset cursors (a JS Date keeps only milliseconds). The one definition. */
export const cursorTimestamp = (column: Sql): Sql => sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
