/** True when `error` is PostgreSQL's unique_violation (23505), optionally on a given constraint/index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pg = (error as { driverError?: { code?: string; constraint?: string }; code?: string; constraint?: string }) ?? {};
  const source = pg.driverError ?? pg;
  return source.code === '23505' && (constraint === undefined || source.constraint === constraint);
}
