import type { ExpressionBuilder, Kysely, Transaction } from 'kysely';
import type { Dialect } from '../../db/migrations/column-types.js';
import type { Database } from '../../db/tables.js';
import type { Storage } from '../../storage/storage.js';
import { nowMs } from '../clock.js';
import { isForeignKeyViolation, lockForCollection } from './row-locks.js';

/**
 * Blob garbage collection. A blob stays while a manifest references it (manifest_blob) or a
 * repository holds a live link to it (repository_blob with expires_at NULL or in the future).
 * Each blob is collected in its own transactions, under the lock of its row: see "Push and GC
 * running together" in docs/garbage-collection.md for the protocol pushes follow on their side.
 */

export interface BlobCollectionDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  storage: Storage;
}

/** Rows deleted per table, for gcTableRowsDeleted{table}. */
export type DeletedRows = Partial<Record<keyof Database, number>>;

export interface BlobCollectionReport {
  /** Blobs whose storage objects were removed (each counted once, whatever its locations). */
  storageBlobsDeleted: number;
  rowsDeleted: DeletedRows;
  /** Blobs that could not be collected this time (storage unreachable, say), with the reason. */
  failures: Array<{ blobId: number; error: unknown }>;
}

export function addDeletedRows(into: DeletedRows, table: keyof Database, count: number): void {
  if (count > 0) into[table] = (into[table] ?? 0) + count;
}

export function mergeDeletedRows(into: DeletedRows, rows: DeletedRows): void {
  for (const [table, count] of Object.entries(rows)) addDeletedRows(into, table as keyof Database, count);
}

type Trx = Transaction<Database>;

/**
 * Deletes those of `blobIds` nothing references any more, rows and storage objects, and returns how
 * many were removed from storage. Links that no longer hold a blob are dropped first: expired
 * upload and mount links, and permanent links of repositories none of whose manifests use it.
 * Throws the first failure after trying every blob.
 */
export async function collectBlobs(deps: BlobCollectionDeps, blobIds: readonly number[]): Promise<number> {
  const report = await collectBlobsReporting(deps, blobIds);
  if (report.failures.length > 0) throw report.failures[0]!.error;
  return report.storageBlobsDeleted;
}

/** collectBlobs with the rows deleted per table and the failures, for the GC worker's metrics. */
export async function collectBlobsReporting(deps: BlobCollectionDeps, blobIds: readonly number[]): Promise<BlobCollectionReport> {
  const report: BlobCollectionReport = { storageBlobsDeleted: 0, rowsDeleted: {}, failures: [] };
  for (const blobId of [...new Set(blobIds)].sort((a, b) => a - b)) {
    try {
      await collectBlob(deps, blobId, report);
    } catch (error) {
      // A push that linked the blob after our check makes the delete break a foreign key: it won.
      if (!isForeignKeyViolation(error)) report.failures.push({ blobId, error });
    }
  }
  return report;
}

async function collectBlob(deps: BlobCollectionDeps, blobId: number, report: BlobCollectionReport): Promise<void> {
  const orphaned = await deps.db.transaction().execute(async (trx) => {
    if (!(await lockForCollection(trx, deps.dialect, 'blob', blobId))) return false;
    addDeletedRows(report.rowsDeleted, 'repository_blob', await deleteStaleLinks(trx, blobId, nowMs()));
    return !(await blobReferenced(trx, blobId, nowMs()));
  });
  // The stale links are committed before the object goes: should the deleting transaction fail
  // after the object was removed, what it leaves behind is a row nothing can reach (no manifest,
  // no live link), never a repository that offers a blob without bytes.
  if (orphaned) await deleteOrphanBlob(deps, blobId, report);
}

/**
 * Expired links, and permanent links of repositories whose manifests no longer use the blob. A
 * permanent link an upload or mount renewed (hold_until still ahead) becomes an expiring link
 * instead, so the push that renewed it can still reference the blob.
 */
async function deleteStaleLinks(trx: Trx, blobId: number, now: number): Promise<number> {
  const unusedByRepository = (eb: ExpressionBuilder<Database, 'repository_blob'>) =>
    eb.not(
      eb.exists(
        eb
          .selectFrom('manifest_blob')
          .innerJoin('manifest', 'manifest.id', 'manifest_blob.manifest_id')
          .select('manifest_blob.manifest_id')
          .where('manifest_blob.blob_id', '=', blobId)
          .whereRef('manifest.repository_id', '=', 'repository_blob.repository_id'),
      ),
    );
  await trx
    .updateTable('repository_blob')
    .set((eb) => ({ expires_at: eb.ref('hold_until'), hold_until: null }))
    .where('blob_id', '=', blobId)
    .where('expires_at', 'is', null)
    .where('hold_until', '>', now)
    .where(unusedByRepository)
    .execute();
  const result = await trx
    .deleteFrom('repository_blob')
    .where('blob_id', '=', blobId)
    .where((eb) =>
      eb.or([
        eb.and([eb('expires_at', 'is not', null), eb('expires_at', '<=', now)]),
        eb.and([eb('expires_at', 'is', null), unusedByRepository(eb)]),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Whether a manifest references the blob or a repository holds a live link to it. */
async function blobReferenced(trx: Trx, blobId: number, now: number): Promise<boolean> {
  const byManifest = await trx
    .selectFrom('manifest_blob')
    .select('manifest_id')
    .where('blob_id', '=', blobId)
    .limit(1)
    .executeTakeFirst();
  if (byManifest) return true;
  const byLink = await trx
    .selectFrom('repository_blob')
    .select('repository_id')
    .where('blob_id', '=', blobId)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .limit(1)
    .executeTakeFirst();
  return byLink !== undefined;
}

/**
 * Deletes an unreferenced blob: under its row lock, checks again that nothing references it,
 * deletes its rows, then its storage objects, then commits. Every database write comes before the
 * storage delete, so a conflict with a concurrent push aborts the transaction while the bytes are
 * still there.
 */
async function deleteOrphanBlob(deps: BlobCollectionDeps, blobId: number, report: BlobCollectionReport): Promise<void> {
  const counts: DeletedRows = {};
  const removedFromStorage = await deps.db.transaction().execute(async (trx) => {
    if (!(await lockForCollection(trx, deps.dialect, 'blob', blobId))) return false;
    if (await blobReferenced(trx, blobId, nowMs())) return false;
    const blob = await trx.selectFrom('blob').select('digest').where('id', '=', blobId).executeTakeFirstOrThrow();
    const placements = await trx.selectFrom('blob_placement').select('location').where('blob_id', '=', blobId).execute();
    const stores = placements.map((p) => deps.storage.location(p.location));
    // A location missing from the configuration cannot be cleaned: keep the row that records it.
    if (stores.some((store) => store === undefined)) return false;

    const links = await trx.deleteFrom('repository_blob').where('blob_id', '=', blobId).executeTakeFirst();
    addDeletedRows(counts, 'repository_blob', Number(links.numDeletedRows));
    const placed = await trx.deleteFrom('blob_placement').where('blob_id', '=', blobId).executeTakeFirst();
    addDeletedRows(counts, 'blob_placement', Number(placed.numDeletedRows));
    await trx.deleteFrom('blob').where('id', '=', blobId).execute();
    addDeletedRows(counts, 'blob', 1);

    // A usage-log export document is stored under its digest too; it is not ours to delete.
    const exported = await trx.selectFrom('log_export').select('id').where('digest', '=', blob.digest).limit(1).executeTakeFirst();
    if (exported || stores.length === 0) return false;
    for (const store of stores) await store!.delete(blob.digest);
    return true;
  });
  mergeDeletedRows(report.rowsDeleted, counts);
  if (removedFromStorage) report.storageBlobsDeleted++;
}

/** Blobs (ids after `afterId`, ascending) with at least one expired link: the global link sweep. */
export async function blobsWithExpiredLinks(db: Kysely<Database>, now: number, afterId: number, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom('repository_blob')
    .select('blob_id')
    .distinct()
    .where('expires_at', '<=', now)
    .where('blob_id', '>', afterId)
    .orderBy('blob_id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.blob_id);
}

/**
 * Blobs (ids after `afterId`, ascending) without a manifest or live link: left behind by an
 * interrupted collection, say. The worker walks the table a batch per run.
 */
export async function unreferencedBlobs(
  db: Kysely<Database>,
  now: number,
  afterId: number,
  limit: number,
): Promise<{ ids: number[]; lastScanned: number | undefined }> {
  const scanned = await db.selectFrom('blob').select('id').where('id', '>', afterId).orderBy('id').limit(limit).execute();
  const lastScanned = scanned.at(-1)?.id;
  if (lastScanned === undefined) return { ids: [], lastScanned };
  const rows = await db
    .selectFrom('blob')
    .select('blob.id')
    .where('blob.id', '>', afterId)
    .where('blob.id', '<=', lastScanned)
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('manifest_blob').select('manifest_blob.blob_id').whereRef('manifest_blob.blob_id', '=', 'blob.id'))),
    )
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('repository_blob')
            .select('repository_blob.blob_id')
            .whereRef('repository_blob.blob_id', '=', 'blob.id')
            .where((inner) => inner.or([inner('repository_blob.expires_at', 'is', null), inner('repository_blob.expires_at', '>', now)])),
        ),
      ),
    )
    .orderBy('blob.id')
    .execute();
  return { ids: rows.map((r) => r.id), lastScanned };
}
