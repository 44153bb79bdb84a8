import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { AppError } from '../errors/app-error';
import { isUuid } from '../ids';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * Opaque keyset cursor: the name of its list, then the sort key values of the last item,
 * base64url-encoded JSON. `list` names the list and its order (e.g. `referrals:priority`): a
 * cursor of another list is refused (400), never read as a position of this one.
 */
export function encodeCursor(list: string, values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify([list, ...values])).toString('base64url');
}

/**
 * What each position of a keyset cursor must hold, so a forged cursor is a 400, never a database
 * error: `int` for integer columns (PostgreSQL's 32-bit `integer`), `number` for any finite one.
 */
export type CursorPart = 'text' | 'uuid' | 'timestamp' | 'int' | 'number';

const INT_MAX = 2 ** 31 - 1;

/** Timestamps as the list queries write them: UTC with microseconds. */
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

const PART_CHECKS: Record<CursorPart, (v: unknown) => boolean> = {
  text: (v) => typeof v === 'string' && !v.includes('\u0000'),
  uuid: isUuid,
  // Year 0000 parses in JavaScript, but PostgreSQL has no year zero.
  timestamp: (v) =>
    typeof v === 'string' &&
    TIMESTAMP.test(v) &&
    !v.startsWith('0000') &&
    !Number.isNaN(Date.parse(v)) &&
    new Date(v).toISOString().slice(0, 19) === v.slice(0, 19),
  int: (v) => Number.isInteger(v) && Math.abs(v as number) <= INT_MAX,
  number: (v) => typeof v === 'number' && Number.isFinite(v),
};

/** A time in a cursor's timestamp form (UTC with microseconds), e.g. the moment a list's first page was read. */
export const cursorTimestampOf = (date: Date): string => date.toISOString().replace('Z', '000Z');

/** Decodes a cursor of `list` made by {@link encodeCursor} and checks each value against `parts`. */
export function decodeCursor(cursor: string, list: string, parts: number | readonly CursorPart[]): (string | number)[] {
  return checkedValues(() => Buffer.from(cursor, 'base64url').toString('utf8'), list, parts);
}

/**
 * A cursor whose sort key is patient data (a name): sealed with AES-256-GCM under `key` (32 bytes),
 * so the next page's URL carries no PHI and the keyset still holds its place when that row changes.
 */
export function encodeSealedCursor(list: string, values: readonly (string | number)[], key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const sealed = Buffer.concat([cipher.update(JSON.stringify([list, ...values]), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

/** Opens a cursor made by {@link encodeSealedCursor}; anything else (forged, altered, plain) is a 400. */
export function decodeSealedCursor(cursor: string, list: string, parts: readonly CursorPart[], key: Buffer): (string | number)[] {
  return checkedValues(
    () => {
      const bytes = Buffer.from(cursor, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
      decipher.setAuthTag(bytes.subarray(12, 28));
      return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
    },
    list,
    parts,
  );
}

function checkedValues(json: () => string, list: string, parts: number | readonly CursorPart[]): (string | number)[] {
  const shape: readonly CursorPart[] | undefined = typeof parts === 'number' ? undefined : parts;
  const arity = shape ? shape.length : (parts as number);
  let named: unknown[] | undefined;
  try {
    const parsed: unknown = JSON.parse(json());
    named = Array.isArray(parsed) ? parsed : undefined;
  } catch {
    // refused below
  }
  if (named && named[0] !== list && typeof named[0] === 'string' && named.length > 1) {
    throw AppError.validation([{ field: 'cursor', message: 'is the cursor of another list or order: start again without it' }]);
  }
  const values = named?.[0] === list ? named.slice(1) : undefined;
  if (
    values &&
    values.length === arity &&
    values.every((v, i) => (shape ? PART_CHECKS[shape[i]](v) : typeof v === 'string' || typeof v === 'number'))
  ) {
    return values as (string | number)[];
  }
  throw AppError.validation([{ field: 'cursor', message: 'cursor is not valid' }]);
}

/** The position a `[timestamp, id]` cursor names (the usual keyset of the lists), or undefined without a cursor. */
export function decodeTimestampKeyset(cursor: string | undefined, list: string): { ts: string; id: string } | undefined {
  if (!cursor) return undefined;
  const [ts, id] = decodeCursor(cursor, list, ['timestamp', 'uuid']) as [string, string];
  return { ts, id };
}

/**
 * Splits `limit + 1` fetched rows into the page's rows and the next page's cursor: the extra row
 * only says another page exists. `list` names the list for {@link encodeCursor}, or `encode` makes
 * the cursor (e.g. a sealed one). For a service that audits the page's rows before it maps them.
 */
export function pageOf<R>(
  rows: R[],
  limit: number,
  key: (row: R) => (string | number)[],
  list: string | ((values: (string | number)[]) => string),
): { rows: R[]; nextCursor: string | null } {
  if (rows.length <= limit) return { rows, nextCursor: null };
  const pageRows = rows.slice(0, limit);
  const values = key(pageRows[pageRows.length - 1]);
  return { rows: pageRows, nextCursor: typeof list === 'string' ? encodeCursor(list, values) : list(values) };
}

/** {@link pageOf}, each row mapped to its view. */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  key: (row: R) => (string | number)[],
  list: string | ((values: (string | number)[]) => string),
): Page<T> {
  const page = pageOf(rows, limit, key, list);
  return { items: page.rows.map(map), nextCursor: page.nextCursor };
}
