import { Client } from 'pg';
import { databaseUnavailable, isLockNotAvailable, isUniqueViolation } from './pg-errors';

describe('PostgreSQL error checks', () => {
  const pgUnique = { code: '23505', constraint: 'users_email_lower_key' };

  it('read the code whether pg threw it or TypeORM wrapped it', () => {
    expect(isUniqueViolation(pgUnique)).toBe(true);
    expect(isUniqueViolation({ driverError: pgUnique })).toBe(true);
    expect(isLockNotAvailable({ code: '55P03' })).toBe(true);
    expect(isLockNotAvailable({ driverError: { code: '55P03' } })).toBe(true);
  });

  it('match the constraint when one is named', () => {
    expect(isUniqueViolation({ driverError: pgUnique }, 'users_email_lower_key')).toBe(true);
    expect(isUniqueViolation({ driverError: pgUnique }, 'invitations_token_hash_key')).toBe(false);
  });

  it('say no to other errors and to things that are not errors', () => {
    for (const error of [new Error('boom'), { code: '23503' }, { driverError: { code: '40001' } }, null, undefined, 'text']) {
      expect(isUniqueViolation(error)).toBe(false);
      expect(isLockNotAvailable(error)).toBe(false);
    }
  });

  describe('databaseUnavailable', () => {
    it("is `unreachable` for pg's real error when nothing listens", async () => {
      const client = new Client({ host: '127.0.0.1', port: 1, user: 'nobody', connectionTimeoutMillis: 2_000 });
      const refused = await client.connect().then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(databaseUnavailable(refused)).toBe('unreachable');
    });

    it('reads a server that refuses connections (starting up), wrapped by TypeORM or not; a full pool is `busy`', () => {
      const withCode = (code: string) => Object.assign(new Error('x'), { code });
      expect(databaseUnavailable(withCode('57P03'))).toBe('unreachable');
      expect(databaseUnavailable(Object.assign(new Error('query failed'), { driverError: withCode('57P03') }))).toBe(
        'unreachable',
      );
      expect(databaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe('busy');
    });

    it('is null for a connection lost mid-statement (a commit may have gone through) and every other error', () => {
      const lost = [new Error('Connection terminated unexpectedly'), Object.assign(new Error('x'), { code: '57P01' })];
      const others = [new Error('boom'), Object.assign(new Error('dup'), { code: '23505' }), { code: 'ECONNREFUSED' }, null];
      for (const error of [...lost, ...others]) expect(databaseUnavailable(error)).toBeNull();
    });
  });
});
