/**
 * Whether a failed insert broke a unique or primary key constraint, on PostgreSQL (SQLSTATE 23505)
 * or SQLite: the sign that a concurrent writer inserted the same key first.
 */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
