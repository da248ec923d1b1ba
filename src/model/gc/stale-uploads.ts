import type { Kysely } from 'kysely';
import type { Database } from '../../db/tables.js';
import type { Storage } from '../../storage/storage.js';
import { PURGE_CHUNK_ROWS } from './purge-chunks.js';

/**
 * Stale upload sessions (Quay's blobuploadcleanupworker): a session nobody has written to for the
 * threshold is abandoned; its row goes and its stored parts are discarded.
 */

export interface StaleUploadDeps {
  db: Kysely<Database>;
  storage: Storage;
}

/**
 * Removes upload sessions last written before `cutoffMs`; returns how many. A row is deleted only
 * while it is still untouched since it was read, so a client resuming the upload at that moment
 * keeps it; the parts are discarded after the row is gone, so no live session loses its bytes.
 */
export async function removeStaleUploads(deps: StaleUploadDeps, cutoffMs: number, chunkRows: number = PURGE_CHUNK_ROWS): Promise<number> {
  const { db, storage } = deps;
  let removed = 0;
  for (;;) {
    const stale = await db
      .selectFrom('upload')
      .select(['uuid', 'location', 'chunk_count', 'byte_count', 'updated_at'])
      .where('updated_at', '<', cutoffMs)
      .orderBy('updated_at')
      .limit(chunkRows)
      .execute();
    for (const upload of stale) {
      const result = await db
        .deleteFrom('upload')
        .where('uuid', '=', upload.uuid)
        .where('updated_at', '=', upload.updated_at)
        .executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) continue;
      removed++;
      await storage
        .location(upload.location)
        ?.abortUpload({ uploadId: upload.uuid, chunkCount: upload.chunk_count, totalBytes: Number(upload.byte_count) });
    }
    if (stale.length < chunkRows) return removed;
  }
}
