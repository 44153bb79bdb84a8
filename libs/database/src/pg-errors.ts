interface PgErrorFields {
  code?: string;
  constraint?: string;
}

/** PostgreSQL's error fields, whether pg's error was thrown as is or wrapped by TypeORM (`driverError`). */
function pgError(error: unknown): PgErrorFields {
  if (typeof error !== 'object' || error === null) return {};
  const wrapped = (error as { driverError?: PgErrorFields }).driverError;
  return wrapped ?? error;
}

/** True when `error` is PostgreSQL's unique_violation (23505), optionally on a given constraint/index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const { code, constraint: violated } = pgError(error);
  return code === '23505' && (constraint === undefined || violated === constraint);
}

/** True when `error` is PostgreSQL's lock_not_available (55P03): a `lock_timeout` ran out. */
export function isLockNotAvailable(error: unknown): boolean {
  return pgError(error).code === '55P03';
}
