import { AppError } from '../errors/app-error';
import { randomBytes } from 'node:crypto';
import { decodeCursor, decodeSealedCursor, encodeCursor, encodeSealedCursor, pageOf, toPage } from './cursor';

function decodeError(cursor: string, parts: Parameters<typeof decodeCursor>[2], list = 'things'): AppError {
  try {
    decodeCursor(cursor, list, parts);
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error('the cursor was accepted');
}

describe('cursor', () => {
  it('round-trips the sort key values', () => {
    const values = ['Zoë O’Brien, "PT"', '3f1c2b9e-4c1a-4b8e-9a57-2f7f1d2c9b10', 42, 0.5];
    expect(decodeCursor(encodeCursor('things', values), 'things', 4)).toEqual(values);
  });

  it('belongs to its list: the cursor of another list or order is refused, naming the cursor', () => {
    const cursor = encodeCursor('notifications', ['2026-03-01T15:30:00.123456Z', '3f1c2b9e-4c1a-4b8e-9a57-2f7f1d2c9b10']);
    const error = decodeError(cursor, ['timestamp', 'uuid'], 'referrals');
    expect(error.extensions.errors).toEqual([{ field: 'cursor', message: expect.stringContaining('another list') }]);
    // A cursor without its list (as made before cursors named it) is refused too.
    expect(decodeError(Buffer.from(JSON.stringify(['a', 'b'])).toString('base64url'), 2)).toBeInstanceOf(AppError);
  });

  it('is URL-safe', () => {
    const cursor = encodeCursor('things', ['??>>~~ÿÿ', 'x'.repeat(50)]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['an empty string', ''],
    ['a JSON object', Buffer.from('{"a":1}').toString('base64url')],
    ['the wrong number of values', encodeCursor('things', ['a'])],
    ['a null value', Buffer.from('["things","a",null]').toString('base64url')],
    ['a nested array', Buffer.from('["things","a",["b"]]').toString('base64url')],
    ['a boolean value', Buffer.from('["things","a",true]').toString('base64url')],
  ])('refuses %s with a validation error on the cursor field', (_label, cursor) => {
    const error = decodeError(cursor, 2);
    expect(error.code).toBe('validation_failed');
    expect(error.status).toBe(400);
    expect(error.extensions.errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
  });
});

describe('cursor with typed parts', () => {
  const id = '3f1c2b9e-4c1a-4b8e-9a57-2f7f1d2c9b10';

  it('accepts values of the declared kinds', () => {
    const at = '2026-03-01T15:30:00.123456Z';
    expect(decodeCursor(encodeCursor('things', ['Ann', id]), 'things', ['text', 'uuid'])).toEqual(['Ann', id]);
    expect(decodeCursor(encodeCursor('things', [at, 7, id]), 'things', ['timestamp', 'number', 'uuid'])).toEqual([at, 7, id]);
    expect(decodeCursor(encodeCursor('things', [-(2 ** 31 - 1), 0.25, id]), 'things', ['int', 'number', 'uuid'])).toEqual([
      -(2 ** 31 - 1),
      0.25,
      id,
    ]);
  });

  it.each([
    ['an id that is not a UUID', ['Ann', 'not-a-uuid'], ['text', 'uuid']],
    ['a number where text goes', [5, id], ['text', 'uuid']],
    ['text with a NUL character', ['A\u0000nn', id], ['text', 'uuid']],
    ['a timestamp without microseconds', ['2026-03-01T15:30:00Z', id], ['timestamp', 'uuid']],
    ['an impossible timestamp', ['2026-02-30T15:30:00.000000Z', id], ['timestamp', 'uuid']],
    ['a string where a number goes', ['7', id], ['number', 'uuid']],
    ['a fraction where an integer goes', [1.5, id], ['int', 'uuid']],
    ['an integer past 32 bits', [2 ** 31, id], ['int', 'uuid']],
    ['a timestamp in year 0000 (PostgreSQL has none)', ['0000-01-01T00:00:00.000000Z', id], ['timestamp', 'uuid']],
    ['too few values', [id], ['text', 'uuid']],
  ] as const)('refuses %s (a forged cursor is a 400, never a database error)', (_label, values, parts) => {
    const cursor = encodeCursor('things', values);
    const error = decodeError(cursor, parts);
    expect(error.extensions.errors).toEqual([{ field: 'cursor', message: expect.any(String) }]);
  });
});

describe('sealed cursor', () => {
  const key = randomBytes(32);
  const values = ['Rivera', 'Jamie', '7d9e1f2a-3b4c-4d5e-8f6a-1b2c3d4e5f60'];
  const invalid = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error instanceof AppError && error.code === 'validation_failed';
    }
    return false;
  };

  it('round-trips, and shows nothing of its values', () => {
    const cursor = encodeSealedCursor('patients', values, key);
    expect(Buffer.from(cursor, 'base64url').toString('latin1')).not.toContain('Rivera');
    expect(decodeSealedCursor(cursor, 'patients', ['text', 'text', 'uuid'], key)).toEqual(values);
    // A fresh IV each time: two cursors of one position differ.
    expect(encodeSealedCursor('patients', values, key)).not.toBe(cursor);
  });

  it('refuses another key, a plain cursor, an altered or a short one (400 naming cursor)', () => {
    const cursor = encodeSealedCursor('patients', values, key);
    const flipped = Buffer.from(cursor, 'base64url');
    flipped[flipped.length - 1] ^= 1;
    for (const bad of [encodeCursor('patients', values), flipped.toString('base64url'), cursor.slice(0, 20), '']) {
      expect(invalid(() => decodeSealedCursor(bad, 'patients', ['text', 'text', 'uuid'], key))).toBe(true);
    }
    expect(invalid(() => decodeSealedCursor(cursor, 'patients', ['text', 'text', 'uuid'], randomBytes(32)))).toBe(true);
    expect(invalid(() => decodeSealedCursor(cursor, 'patients', ['text', 'uuid'], key))).toBe(true);
  });
});

describe('toPage', () => {
  const rows = [
    { name: 'Ann', id: 'a' },
    { name: 'Bob', id: 'b' },
    { name: 'Cy', id: 'c' },
  ];
  const map = (r: { name: string; id: string }) => r.name.toUpperCase();
  const key = (r: { name: string; id: string }) => [r.name, r.id];

  it('drops the extra row and points the cursor at the last row of the page', () => {
    const page = toPage(rows, 2, map, key, 'names');
    expect(page.items).toEqual(['ANN', 'BOB']);
    expect(page.nextCursor).not.toBeNull();
    expect(decodeCursor(page.nextCursor as string, 'names', 2)).toEqual(['Bob', 'b']);
  });

  it('has no next cursor when the rows fit in the page', () => {
    expect(toPage(rows, 3, map, key, 'names')).toEqual({ items: ['ANN', 'BOB', 'CY'], nextCursor: null });
    expect(toPage(rows, 10, map, key, 'names').nextCursor).toBeNull();
    expect(toPage([], 10, map, key, 'names')).toEqual({ items: [], nextCursor: null });
  });
  it('pageOf keeps the rows unmapped, for a service that audits them first', () => {
    const page = pageOf(rows, 2, key, (values) => `sealed:${values.join('/')}`);
    expect(page).toEqual({ rows: rows.slice(0, 2), nextCursor: 'sealed:Bob/b' });
    expect(pageOf(rows, 3, key, 'names')).toEqual({ rows, nextCursor: null });
  });
});
