import type { Kysely } from 'kysely';
import type { Database } from '../../db/tables.js';
import type { Storage } from '../../storage/storage.js';
import { PURGE_CHUNK_ROWS } from './purge-chunks.js';

/**
 * Usage-log exports whose download link has expired: the row goes, and the stored document too
 * unless something else still names the same content (a blob, or another export's row), since
 * storage is addressed by digest.
 */

export interface ExpiredExportDeps {
  db: Kysely<Database>;
  storage: Storage;
}

export interface ExpiredExportsRemoved {
  rows: number;
  documents: number;
}

async function digestUsedElsewhere(db: Kysely<Database>, digest: string, exportId: number): Promise<boolean> {
  const blob = await db.selectFrom('blob').select('id').where('digest', '=', digest).executeTakeFirst();
  if (blob) return true;
  const other = await db
    .selectFrom('log_export')
    .select('id')
    .where('digest', '=', digest)
    .where('id', '!=', exportId)
    .limit(1)
    .executeTakeFirst();
  return other !== undefined;
}

/** Removes the exports that expired before `nowMs`, with their documents where no longer used. */
export async function removeExpiredLogExports(
  deps: ExpiredExportDeps,
  nowMs: number,
  chunkRows: number = PURGE_CHUNK_ROWS,
): Promise<ExpiredExportsRemoved> {
  const { db, storage } = deps;
  const removed: ExpiredExportsRemoved = { rows: 0, documents: 0 };
  for (;;) {
    const expired = await db
      .selectFrom('log_export')
      .select(['id', 'location', 'digest'])
      .where('expires_at', '<=', nowMs)
      .orderBy('id')
      .limit(chunkRows)
      .execute();
    for (const row of expired) {
      // The document goes first: a crash in between leaves an expired row (never served) that
      // the next run removes, rather than a stored document nothing names any more.
      const store = storage.location(row.location);
      if (store && !(await digestUsedElsewhere(db, row.digest, row.id))) {
        await store.delete(row.digest);
        removed.documents++;
      }
      const result = await db.deleteFrom('log_export').where('id', '=', row.id).executeTakeFirst();
      removed.rows += Number(result.numDeletedRows);
    }
    if (expired.length < chunkRows) return removed;
  }
}
