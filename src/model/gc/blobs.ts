import type { Expression, ExpressionBuilder, Kysely, SqlBool, Transaction } from 'kysely';
import type { Dialect } from '../../db/migrations/column-types.js';
import type { Database } from '../../db/tables.js';
import type { Storage } from '../../storage/storage.js';
import { linkAlive } from '../blobs.js';
import { nowMs } from '../clock.js';
import { isForeignKeyViolation, lockForCollection } from './row-locks.js';

/**
 * Blob garbage collection. A blob stays while a manifest references it (manifest_blob) or a
 * repository holds a live link to it (repository_blob with expires_at NULL or in the future; a
 * permanent link only counts while a manifest of its repository uses the blob).
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

/** The link's repository has no manifest that uses the linked blob. */
function unusedByRepository(eb: ExpressionBuilder<Database, 'repository_blob'>): Expression<SqlBool> {
  return eb.not(
    eb.exists(
      eb
        .selectFrom('manifest_blob')
        .innerJoin('manifest', 'manifest.id', 'manifest_blob.manifest_id')
        .select('manifest_blob.manifest_id')
        .whereRef('manifest_blob.blob_id', '=', 'repository_blob.blob_id')
        .whereRef('manifest.repository_id', '=', 'repository_blob.repository_id'),
    ),
  );
}

/**
 * Expired links, and permanent links of repositories whose manifests no longer use the blob. A
 * permanent link an upload or mount renewed (hold_until still ahead) becomes an expiring link
 * instead, so the push that renewed it can still reference the blob.
 */
async function deleteStaleLinks(trx: Trx, blobId: number, now: number): Promise<number> {
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
    .where(linkAlive(now))
    .limit(1)
    .executeTakeFirst();
  return byLink !== undefined;
}

/**
 * Deletes an unreferenced blob. Under its row lock it checks again that nothing references it and
 * deletes its expired links, its placements and the row (a live link a mount renewed meanwhile
 * stays and makes the row's delete break a foreign key: the push won). Only then are the stored
 * bytes deleted, location by location. Locations whose delete failed get their placement back,
 * and with it the row, so the commit keeps what succeeded and a later run retries the rest.
 */
async function deleteOrphanBlob(deps: BlobCollectionDeps, blobId: number, report: BlobCollectionReport): Promise<void> {
  const counts: DeletedRows = {};
  const outcome = await deps.db.transaction().execute(async (trx) => {
    if (!(await lockForCollection(trx, deps.dialect, 'blob', blobId))) return undefined;
    const now = nowMs();
    if (await blobReferenced(trx, blobId, now)) return undefined;
    const blob = await trx.selectFrom('blob').selectAll().where('id', '=', blobId).executeTakeFirstOrThrow();
    const placements = await trx.selectFrom('blob_placement').select('location').where('blob_id', '=', blobId).execute();
    const stores = placements.map((p) => deps.storage.location(p.location));
    // A location missing from the configuration cannot be cleaned: keep the row that records it.
    if (stores.some((store) => store === undefined)) return undefined;

    const links = await trx.deleteFrom('repository_blob').where('blob_id', '=', blobId).where('expires_at', '<=', now).executeTakeFirst();
    addDeletedRows(counts, 'repository_blob', Number(links.numDeletedRows));
    await trx.deleteFrom('blob_placement').where('blob_id', '=', blobId).execute();
    await trx.deleteFrom('blob').where('id', '=', blobId).execute();

    // A usage-log export document is stored under its digest too; it is not ours to delete.
    const exported = await trx.selectFrom('log_export').select('id').where('digest', '=', blob.digest).limit(1).executeTakeFirst();
    const failed: Array<{ location: string; error: unknown }> = [];
    if (!exported) {
      for (const store of stores) {
        try {
          await store!.delete(blob.digest);
        } catch (error) {
          failed.push({ location: store!.location, error });
        }
      }
    }
    if (failed.length > 0) {
      await trx.insertInto('blob').values(blob).execute();
      await trx
        .insertInto('blob_placement')
        .values(failed.map((f) => ({ blob_id: blobId, location: f.location })))
        .execute();
    } else {
      addDeletedRows(counts, 'blob', 1);
    }
    addDeletedRows(counts, 'blob_placement', placements.length - failed.length);
    return { removedFromStorage: !exported && stores.length > 0 && failed.length === 0, failed };
  });
  mergeDeletedRows(report.rowsDeleted, counts);
  if (!outcome) return;
  if (outcome.removedFromStorage) report.storageBlobsDeleted++;
  for (const { error } of outcome.failed) report.failures.push({ blobId, error });
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
 * A link that keeps its blob: an unexpired upload or mount hold, or a permanent link of a
 * repository whose manifests use the blob.
 */
function linkKeepsBlob(now: number) {
  return (eb: ExpressionBuilder<Database, 'repository_blob'>): Expression<SqlBool> =>
    eb.or([eb('repository_blob.expires_at', '>', now), eb.and([eb('repository_blob.expires_at', 'is', null), eb.not(unusedByRepository(eb))])]);
}

/**
 * Blobs (ids after `afterId`, ascending) that nothing keeps, or that a repository still holds by a
 * permanent link although none of its manifests uses them any more: left behind by an interrupted
 * or skipped collection, say. The worker walks the table a batch per run.
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
  const linksOfBlob = (eb: ExpressionBuilder<Database, 'blob'>) =>
    eb.selectFrom('repository_blob').select('repository_blob.blob_id').whereRef('repository_blob.blob_id', '=', 'blob.id');
  const rows = await db
    .selectFrom('blob')
    .select('blob.id')
    .where('blob.id', '>', afterId)
    .where('blob.id', '<=', lastScanned)
    .where((eb) =>
      eb.or([
        eb.and([
          eb.not(eb.exists(eb.selectFrom('manifest_blob').select('manifest_blob.blob_id').whereRef('manifest_blob.blob_id', '=', 'blob.id'))),
          eb.not(eb.exists(linksOfBlob(eb).where(linkKeepsBlob(now)))),
        ]),
        eb.exists(linksOfBlob(eb).where('repository_blob.expires_at', 'is', null).where(unusedByRepository)),
      ]),
    )
    .orderBy('blob.id')
    .execute();
  return { ids: rows.map((r) => r.id), lastScanned };
}
