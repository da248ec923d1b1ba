import { sql, type Transaction } from 'kysely';
import type { Dialect } from '../../db/migrations/column-types.js';
import type { Database } from '../../db/tables.js';

/** The rows garbage collection deletes one at a time under a lock. */
export type CollectedTable = 'blob' | 'manifest';

/** A column each table can set to itself: a write that changes nothing. */
const UNCHANGED_COLUMN: Record<CollectedTable, string> = { blob: 'size', manifest: 'pushed_at' };

/**
 * Locks one row GC means to delete, for the rest of the transaction. False when the row is gone,
 * or, on PostgreSQL, when another transaction holds it (a push using it, or another GC): GC skips
 * it rather than wait, and a later run looks again.
 *
 * SQLite has no row locks: a write takes its single writer lock, which is held to the commit. So on
 * SQLite this must be the transaction's first statement, and it is a write (the column set to
 * itself), so that every check after it reads the latest state and no other process can write
 * until GC commits.
 */
export async function lockForCollection(
  trx: Transaction<Database>,
  dialect: Dialect,
  table: CollectedTable,
  id: number,
): Promise<boolean> {
  if (dialect === 'postgres') {
    const rows = await sql`select id from ${sql.table(table)} where id = ${id} for update skip locked`.execute(trx);
    return rows.rows.length === 1;
  }
  const column = sql.ref(UNCHANGED_COLUMN[table]);
  const result = await sql`update ${sql.table(table)} set ${column} = ${column} where id = ${id}`.execute(trx);
  return Number(result.numAffectedRows ?? 0) === 1;
}

/** Whether a failed statement broke a foreign key: a concurrent writer started using the row GC deletes. */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
