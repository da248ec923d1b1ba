import { type DeleteResult, type Kysely, sql } from 'kysely';
import type { Dialect } from '../../db/migrations/column-types.js';
import type { Database } from '../../db/tables.js';
import type { Storage } from '../../storage/storage.js';
import { collectBlobsReporting } from './blobs.js';
import { PURGE_CHUNK_ROWS, type PurgeObserver, repeatUntilDone, reported, SILENT_OBSERVER } from './purge-chunks.js';

/**
 * Purges a repository marked for deletion (Quay's purge_repository): every row that belongs to it,
 * then the repository row, and the blobs it held through collectBlobs (gc/blobs.ts), so blobs other
 * repositories still use survive and the rest leave storage. Usage-log entries stay: they outlive
 * what they name.
 *
 * The steps run in order, chunk by chunk. Blobs stay reachable from the repository's own links
 * until collection has looked at them: a manifest's blobs are linked (expired) in the transaction
 * that removes the manifest, and a link goes only after collectBlobs has tried its blob. Wherever a
 * crash interrupts the purge, running it again finds every blob still to collect. A blob that
 * could not be collected (storage unreachable) does not stop the purge: it is reported to the
 * observer and, no longer referenced by anything, left to the gc worker's scan for unreferenced
 * blobs. Links are expired before collection because an unexpired link (a blob pushed without a
 * manifest yet) would keep its blob alive.
 */

export interface RepositoryPurgeDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  storage: Storage;
}

export type RepositoryPurgeResult =
  /** The repository and its content are gone; its namespace may want its size recounted. */
  | { status: 'purged'; namespaceId: number }
  /** No such repository: an earlier attempt or another worker finished the purge. */
  | { status: 'absent' }
  /** The repository is not marked for deletion, so it is left alone. */
  | { status: 'live' };

export interface RepositoryPurgeTarget {
  deps: RepositoryPurgeDeps;
  repositoryId: number;
  observer: PurgeObserver;
}

export interface RepositoryPurgeStep {
  name: string;
  /** Handles at most `limit` of the repository's rows; returns how many it handled (0: done). */
  run(target: RepositoryPurgeTarget, limit: number): Promise<number>;
}

/** A link that no longer lets the repository serve its blob (expired at the epoch). */
const EXPIRED = 0;

const deleteTags: RepositoryPurgeStep = {
  name: 'tags',
  async run({ deps: { db }, repositoryId, observer }, limit) {
    const chunk = db.selectFrom('tag').select('id').where('repository_id', '=', repositoryId).limit(limit);
    return reported(observer, 'tag', (await db.deleteFrom('tag').where('id', 'in', chunk).executeTakeFirst()).numDeletedRows);
  },
};

const deleteManifests: RepositoryPurgeStep = {
  name: 'manifests',
  async run({ deps: { db }, repositoryId, observer }, limit) {
    return db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('manifest')
        .select('id')
        .where('repository_id', '=', repositoryId)
        .orderBy('id')
        .limit(limit)
        .execute();
      const ids = rows.map((r) => r.id);
      if (ids.length === 0) return 0;
      // The blobs of these manifests stay reachable through the repository's links until collected.
      await trx
        .insertInto('repository_blob')
        .columns(['repository_id', 'blob_id', 'expires_at'])
        .expression(
          trx
            .selectFrom('manifest_blob')
            .innerJoin('manifest', 'manifest.id', 'manifest_blob.manifest_id')
            .select(['manifest.repository_id', 'manifest_blob.blob_id', sql<number>`${sql.lit(EXPIRED)}`.as('expires_at')])
            .distinct()
            .where('manifest_blob.manifest_id', 'in', ids)
            .orderBy('manifest_blob.blob_id'),
        )
        .onConflict((oc) => oc.columns(['repository_id', 'blob_id']).doNothing())
        .execute();
      const removed = async (table: string, query: { executeTakeFirst(): Promise<DeleteResult> }) =>
        reported(observer, table, (await query.executeTakeFirst()).numDeletedRows);
      await removed('manifest_label', trx.deleteFrom('manifest_label').where('manifest_id', 'in', ids));
      await removed(
        'manifest_child',
        trx.deleteFrom('manifest_child').where((eb) => eb.or([eb('manifest_id', 'in', ids), eb('child_manifest_id', 'in', ids)])),
      );
      await removed('manifest_blob', trx.deleteFrom('manifest_blob').where('manifest_id', 'in', ids));
      // A tag written after the tag step would otherwise block the manifest's removal.
      await removed('tag', trx.deleteFrom('tag').where('manifest_id', 'in', ids));
      return removed('manifest', trx.deleteFrom('manifest').where('id', 'in', ids));
    });
  },
};

/** Expires the repository's links, so collectBlobs no longer counts them as holding their blobs. */
const expireBlobLinks: RepositoryPurgeStep = {
  name: 'expire blob links',
  async run({ deps: { db }, repositoryId }, limit) {
    const chunk = db
      .selectFrom('repository_blob')
      .select('blob_id')
      .where('repository_id', '=', repositoryId)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', EXPIRED)]))
      .limit(limit);
    const result = await db
      .updateTable('repository_blob')
      .set({ expires_at: EXPIRED, hold_until: null })
      .where('repository_id', '=', repositoryId)
      .where('blob_id', 'in', chunk)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  },
};

/** Offers the linked blobs to collectBlobs, then drops the links it has seen. */
const collectLinkedBlobs: RepositoryPurgeStep = {
  name: 'blobs',
  async run({ deps, repositoryId, observer }, limit) {
    const { db } = deps;
    const rows = await db
      .selectFrom('repository_blob')
      .select('blob_id')
      .where('repository_id', '=', repositoryId)
      .orderBy('blob_id')
      .limit(limit)
      .execute();
    const blobIds = rows.map((r) => r.blob_id);
    if (blobIds.length === 0) return 0;
    const collected = await collectBlobsReporting(deps, blobIds);
    for (const [table, count] of Object.entries(collected.rowsDeleted)) reported(observer, table, count);
    observer.blobsDeleted(collected.storageBlobsDeleted);
    // Failing here would only make the queue retry until it gives up, leaving the repository marked
    // for deletion for good. The blobs that failed keep their rows, which nothing references once
    // these links go: the gc worker's orphan scan deletes them when storage answers again.
    for (const { blobId, error } of collected.failures) observer.blobNotCollected?.(blobId, error);
    const result = await db
      .deleteFrom('repository_blob')
      .where('repository_id', '=', repositoryId)
      .where('blob_id', 'in', blobIds)
      .executeTakeFirst();
    reported(observer, 'repository_blob', result.numDeletedRows);
    return blobIds.length;
  },
};

/** Upload sessions: their stored parts are discarded before the row goes, so a retry finds them again. */
const deleteUploads: RepositoryPurgeStep = {
  name: 'uploads',
  async run({ deps: { db, storage }, repositoryId, observer }, limit) {
    const uploads = await db
      .selectFrom('upload')
      .select(['uuid', 'location', 'chunk_count', 'byte_count'])
      .where('repository_id', '=', repositoryId)
      .limit(limit)
      .execute();
    if (uploads.length === 0) return 0;
    for (const upload of uploads) {
      await storage
        .location(upload.location)
        ?.abortUpload({ uploadId: upload.uuid, chunkCount: upload.chunk_count, totalBytes: Number(upload.byte_count) });
    }
    const uuids = uploads.map((u) => u.uuid);
    reported(observer, 'upload', (await db.deleteFrom('upload').where('uuid', 'in', uuids).executeTakeFirst()).numDeletedRows);
    return uploads.length;
  },
};

/** A step removing one table's rows of the repository, a chunk per statement. */
function deleteRowsOf(
  table: string,
  deleteChunk: (db: Kysely<Database>, repositoryId: number, limit: number) => { executeTakeFirst(): Promise<DeleteResult> },
): RepositoryPurgeStep {
  return {
    name: table,
    async run({ deps: { db }, repositoryId, observer }, limit) {
      return reported(observer, table, (await deleteChunk(db, repositoryId, limit).executeTakeFirst()).numDeletedRows);
    },
  };
}

const deletePermissions = deleteRowsOf('repository_permission', (db, id, limit) =>
  db
    .deleteFrom('repository_permission')
    .where('id', 'in', db.selectFrom('repository_permission').select('id').where('repository_id', '=', id).limit(limit)),
);

const deleteNotifications = deleteRowsOf('repository_notification', (db, id, limit) =>
  db
    .deleteFrom('repository_notification')
    .where('id', 'in', db.selectFrom('repository_notification').select('id').where('repository_id', '=', id).limit(limit)),
);

const deleteStars = deleteRowsOf('star', (db, id, limit) =>
  db
    .deleteFrom('star')
    .where('repository_id', '=', id)
    .where('user_id', 'in', db.selectFrom('star').select('user_id').where('repository_id', '=', id).limit(limit)),
);

const deleteMirrorConfig = deleteRowsOf('repo_mirror_config', (db, id) =>
  db.deleteFrom('repo_mirror_config').where('repository_id', '=', id),
);

const deleteStoredSize = deleteRowsOf('quota_repository_size', (db, id) =>
  db.deleteFrom('quota_repository_size').where('repository_id', '=', id),
);

/** Every step, in the order a purge runs them. Exported so tests can interrupt a purge part way. */
export const REPOSITORY_PURGE_STEPS: readonly RepositoryPurgeStep[] = [
  deleteTags,
  deleteManifests,
  expireBlobLinks,
  collectLinkedBlobs,
  deleteUploads,
  deletePermissions,
  deleteNotifications,
  deleteStars,
  deleteMirrorConfig,
  deleteStoredSize,
];

/** Rounds of the steps before a repository that keeps gaining content is left for a retry. */
const MAX_ROUNDS = 3;

/**
 * Removes the repository row once nothing holding blobs is left; the cascades take whatever else
 * arrived since the steps ran. False when content remains (or the row is already gone).
 */
async function deleteEmptyRepository(db: Kysely<Database>, repositoryId: number): Promise<boolean> {
  const result = await db
    .deleteFrom('repository')
    .where('id', '=', repositoryId)
    .where('state', '=', 'MARKED_FOR_DELETION')
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('repository_blob').select('blob_id').where('repository_id', '=', repositoryId))),
    )
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('manifest').select('id').where('repository_id', '=', repositoryId))))
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * Purges the repository if it is marked for deletion. Safe to run again after a crash and beside
 * another worker purging the same repository: each step only removes what is still there.
 */
export async function purgeRepository(
  deps: RepositoryPurgeDeps,
  repositoryId: number,
  observer: PurgeObserver = SILENT_OBSERVER,
  chunkRows: number = PURGE_CHUNK_ROWS,
): Promise<RepositoryPurgeResult> {
  const { db } = deps;
  const repository = await db.selectFrom('repository').select(['namespace_id', 'state']).where('id', '=', repositoryId).executeTakeFirst();
  if (!repository) return { status: 'absent' };
  if (repository.state !== 'MARKED_FOR_DELETION') return { status: 'live' };
  const target: RepositoryPurgeTarget = { deps, repositoryId, observer };
  for (let round = 1; ; round++) {
    for (const step of REPOSITORY_PURGE_STEPS) await repeatUntilDone(() => step.run(target, chunkRows));
    if (await deleteEmptyRepository(db, repositoryId)) {
      observer.rowsDeleted('repository', 1);
      observer.repositoryPurged();
      return { status: 'purged', namespaceId: repository.namespace_id };
    }
    const stillThere = await db.selectFrom('repository').select('id').where('id', '=', repositoryId).executeTakeFirst();
    if (!stillThere) return { status: 'absent' };
    if (round === MAX_ROUNDS) throw new Error(`repository ${repositoryId} kept gaining content while it was purged`);
  }
}
