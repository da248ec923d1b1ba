import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import type { Dialect } from '../../db/migrations/column-types.js';
import type { Database } from '../../db/tables.js';
import { addDeletedRows, type DeletedRows, mergeDeletedRows } from './blobs.js';
import { lockForCollection } from './row-locks.js';

/**
 * Manifest garbage collection. A manifest stays while any tag row points at it (live or still in
 * the time machine), an index lists it (manifest_child), it was PUT less than
 * PUSH_TEMP_TAG_EXPIRATION_SEC ago (pushed_at), or it is a referrer whose subject manifest is in
 * the repository. Referrers therefore go with their subject (the OCI spec allows this).
 */

export interface ManifestCollectionDeps {
  db: Kysely<Database>;
  dialect: Dialect;
}

const MANIFEST_BATCH = 100;

/** The condition for a manifest no tag row (live or in the time machine) points at and no index lists. */
export function untaggedAndUnlisted(eb: ExpressionBuilder<Database, 'manifest'>): Expression<SqlBool> {
  return eb.and([
    eb.not(eb.exists(eb.selectFrom('tag').select('tag.id').whereRef('tag.manifest_id', '=', 'manifest.id'))),
    eb.not(
      eb.exists(
        eb.selectFrom('manifest_child').select('manifest_child.manifest_id').whereRef('manifest_child.child_manifest_id', '=', 'manifest.id'),
      ),
    ),
  ]);
}

/** The condition for a manifest nothing keeps: pushed at or before `holdCutoff`, and unreferenced. */
function unreferenced(holdCutoff: number) {
  return (eb: ExpressionBuilder<Database, 'manifest'>): Expression<SqlBool> =>
    eb.and([
      eb('manifest.pushed_at', '<=', holdCutoff),
      untaggedAndUnlisted(eb),
      eb.or([
        eb('manifest.subject_digest', 'is', null),
        eb.not(
          eb.exists(
            eb
              .selectFrom('manifest as subject')
              .select('subject.id')
              .whereRef('subject.repository_id', '=', 'manifest.repository_id')
              .whereRef('subject.digest', '=', 'manifest.subject_digest'),
          ),
        ),
      ]),
    ]);
}

/** What collecting manifests removed: rows per table, and the blobs they referenced (now candidates). */
export interface ManifestCollection {
  manifestsDeleted: number;
  rowsDeleted: DeletedRows;
  blobIds: Set<number>;
}

/**
 * Deletes the repository's unreferenced manifests, pass after pass until one deletes nothing: an
 * index that goes frees its children, a subject that goes frees its referrers.
 */
export async function collectRepositoryManifests(
  deps: ManifestCollectionDeps,
  repositoryId: number,
  holdCutoff: number,
): Promise<ManifestCollection> {
  const collection: ManifestCollection = { manifestsDeleted: 0, rowsDeleted: {}, blobIds: new Set() };
  for (;;) {
    const before = collection.manifestsDeleted;
    let afterId = 0;
    for (;;) {
      const ids = await unreferencedManifests(deps.db, repositoryId, holdCutoff, afterId);
      for (const id of ids) await collectManifest(deps, id, holdCutoff, collection);
      if (ids.length < MANIFEST_BATCH) break;
      afterId = ids.at(-1)!;
    }
    if (collection.manifestsDeleted === before) return collection;
  }
}

async function unreferencedManifests(db: Kysely<Database>, repositoryId: number, holdCutoff: number, afterId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('manifest')
    .select('manifest.id')
    .where('manifest.repository_id', '=', repositoryId)
    .where('manifest.id', '>', afterId)
    .where(unreferenced(holdCutoff))
    .orderBy('manifest.id')
    .limit(MANIFEST_BATCH)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * Deletes one manifest if, under its row lock, nothing references it. A push re-PUTting it, tagging
 * it or listing it in an index holds a lock on the row (or its insert conflicts with the delete), so
 * the two cannot both succeed.
 */
async function collectManifest(
  deps: ManifestCollectionDeps,
  manifestId: number,
  holdCutoff: number,
  into: ManifestCollection,
): Promise<void> {
  const deleted = await deps.db.transaction().execute(async (trx) => {
    if (!(await lockForCollection(trx, deps.dialect, 'manifest', manifestId))) return undefined;
    const still = await trx
      .selectFrom('manifest')
      .select('manifest.id')
      .where('manifest.id', '=', manifestId)
      .where(unreferenced(holdCutoff))
      .executeTakeFirst();
    if (!still) return undefined;
    const rows: DeletedRows = {};
    const labels = await trx.deleteFrom('manifest_label').where('manifest_id', '=', manifestId).executeTakeFirst();
    addDeletedRows(rows, 'manifest_label', Number(labels.numDeletedRows));
    const blobs = await trx.deleteFrom('manifest_blob').where('manifest_id', '=', manifestId).returning('blob_id').execute();
    addDeletedRows(rows, 'manifest_blob', blobs.length);
    const children = await trx.deleteFrom('manifest_child').where('manifest_id', '=', manifestId).executeTakeFirst();
    addDeletedRows(rows, 'manifest_child', Number(children.numDeletedRows));
    await trx.deleteFrom('manifest').where('id', '=', manifestId).execute();
    addDeletedRows(rows, 'manifest', 1);
    return { rows, blobIds: blobs.map((b) => b.blob_id) };
  });
  if (!deleted) return;
  into.manifestsDeleted++;
  mergeDeletedRows(into.rowsDeleted, deleted.rows);
  for (const id of deleted.blobIds) into.blobIds.add(id);
}
