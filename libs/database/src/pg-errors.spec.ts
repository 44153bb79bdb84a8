import { isLockNotAvailable, isUniqueViolation } from './pg-errors';

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
});
