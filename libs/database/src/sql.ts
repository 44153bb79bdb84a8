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

export class Sql {
  /** `strings.length === values.length + 1`, as in a template literal. */
  private constructor(
    private readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /** Builds a fragment from template parts, splicing nested fragments in. */
  static from(parts: readonly string[], values: readonly unknown[]): Sql {
    const strings: string[] = [parts[0]];
    const flat: unknown[] = [];
    values.forEach((value, i) => {
      if (value instanceof Sql) {
        strings[strings.length - 1] += value.strings[0];
        flat.push(...value.values);
        strings.push(...value.strings.slice(1));
        strings[strings.length - 1] += parts[i + 1];
      } else {
        flat.push(value);
        strings.push(parts[i + 1]);
      }
    });
    return new Sql(strings, flat);
  }

  /** The statement text with `$n` placeholders. */
  get text(): string {
    return this.strings.reduce((text, part, i) => `${text}$${i}${part}`);
  }
}

/** Tagged template: `sql\`SELECT … WHERE id = ${id}\``. */
export function sql(parts: TemplateStringsArray, ...values: unknown[]): Sql {
  return Sql.from(parts, values);
}

/** A parameter with a cast: `${sql.param(ids, 'uuid[]')}` writes `$n::uuid[]`. */
sql.param = (value: unknown, cast: SqlCast): Sql => Sql.from(['', `::${cast}`], [value]);

/** Fragments joined by a separator (a comma by default); no fragments give an empty fragment. */
sql.join = (fragments: readonly Sql[], separator: Sql = sql`, `): Sql => {
  const items = fragments.flatMap((fragment, i) => (i === 0 ? [fragment] : [separator, fragment]));
  return Sql.from(['', ...items.map(() => '')], items);
};

/** A quoted identifier (column, table, alias or sort key; case kept), only from the caller's fixed list of names. */
sql.identifier = <const T extends string>(allowed: readonly T[], name: T): Sql => {
  if (!allowed.includes(name) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`identifier not allowed: ${name}`);
  return Sql.from([`"${name}"`], []);
};

/** Nothing: for an optional clause, `${condition ? sql\`AND …\` : sql.empty}`. */
sql.empty = Sql.from([''], []);

/** A timestamptz with microseconds, for keyset cursors (a JS Date keeps only milliseconds). The one definition. */
export const cursorTimestamp = (column: Sql): Sql => sql`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
