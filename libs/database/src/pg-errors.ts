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

/** pg-pool's errors when no connection could be had within `poolWaitMs`: every one was busy, or a new one did not connect in time. */
const POOL_WAIT_MESSAGES = new Set([
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
]);

/**
 * Connecting failed, so nothing was done: refused, no route, a name that does not resolve, or a
 * server still starting or shutting down (57P03) or refusing the connection (08001, 08004). A
 * connection lost mid-statement is not among them: a commit may have gone through, so a retry could
 * write twice; that stays a 500.
 */
const CONNECT_FAILURE_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P03',
  '08001',
  '08004',
]);

/**
 * Why the database cannot serve a request right now, when that is what `error` says: `busy` (no pooled
 * connection free in time: saturated or slow) or `unreachable` (no connection could be made). Neither
 * is a bug and nothing was written: the caller is told to retry (503), not handed a 500.
 */
export function databaseUnavailable(error: unknown): 'busy' | 'unreachable' | null {
  if (typeof error !== 'object' || error === null) return null;
  // Not `instanceof Error`: socket errors may come from another realm (a test's VM context).
  const { message } = error as { message?: unknown };
  if (typeof message === 'string' && POOL_WAIT_MESSAGES.has(message)) return 'busy';
  const { code } = pgError(error);
  return code !== undefined && CONNECT_FAILURE_CODES.has(code) && typeof message === 'string' ? 'unreachable' : null;
}
