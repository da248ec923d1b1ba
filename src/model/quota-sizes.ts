import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../db/tables.js';
import { nowMs } from './clock.js';

/**
 * What a namespace and its repositories occupy, Quay's way: the bytes of the distinct blobs their
 * manifests reference. A layer shared by two repositories counts once in the namespace and once
 * in each repository; blobs uploaded but referenced by no manifest count nowhere. Manifests count
 * until garbage collection removes them, and repositories marked for deletion count no longer.
 */

type Db = Kysely<Database> | Transaction<Database>;

/** The namespace's blob ids referenced by manifests of its live repositories (a subquery). */
function namespaceBlobIds(db: Db, namespaceId: number) {
  return db
    .selectFrom('manifest_blob')
    .innerJoin('manifest', 'manifest.id', 'manifest_blob.manifest_id')
    .innerJoin('repository', 'repository.id', 'manifest.repository_id')
    .select('manifest_blob.blob_id')
    .where('repository.namespace_id', '=', namespaceId)
    .where('repository.state', '!=', 'MARKED_FOR_DELETION');
}

/** The namespace's size now, computed from its manifests (one aggregate query). */
export async function computeNamespaceSize(db: Db, namespaceId: number): Promise<number> {
  const row = await db
    .selectFrom('blob')
    .select(sql<number | string | null>`sum(blob.size)`.as('total'))
    .where('blob.id', 'in', namespaceBlobIds(db, namespaceId))
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

/** The size of each live repository of the namespace now (0 for those without manifests). */
export async function computeRepositorySizes(db: Db, namespaceId: number): Promise<Map<number, number>> {
  const repositories = await db
    .selectFrom('repository')
    .select('id')
    .where('namespace_id', '=', namespaceId)
    .where('state', '!=', 'MARKED_FOR_DELETION')
    .execute();
  const sizes = new Map<number, number>(repositories.map((r) => [r.id, 0]));
  const rows = await db
    .selectFrom(
      db
        .selectFrom('manifest_blob')
        .innerJoin('manifest', 'manifest.id', 'manifest_blob.manifest_id')
        .innerJoin('repository', 'repository.id', 'manifest.repository_id')
        .select(['manifest.repository_id as repository_id', 'manifest_blob.blob_id as blob_id'])
        .distinct()
        .where('repository.namespace_id', '=', namespaceId)
        .where('repository.state', '!=', 'MARKED_FOR_DELETION')
        .as('held'),
    )
    .innerJoin('blob', 'blob.id', 'held.blob_id')
    .select(['held.repository_id as repository_id', sql<number | string>`sum(blob.size)`.as('total')])
    .groupBy('held.repository_id')
    .execute();
  for (const row of rows) sizes.set(Number(row.repository_id), Number(row.total));
  return sizes;
}

export interface NamespaceSizes {
  namespaceBytes: number;
  repositoryBytes: Map<number, number>;
}

/**
 * Recomputes and stores the namespace's size and its repositories' sizes; the stored rows of
 * repositories no longer live are dropped. Returns what was stored.
 */
export async function recountNamespaceSizes(db: Kysely<Database>, namespaceId: number): Promise<NamespaceSizes> {
  return db.transaction().execute(async (trx) => {
    const namespaceBytes = await computeNamespaceSize(trx, namespaceId);
    const repositoryBytes = await computeRepositorySizes(trx, namespaceId);
    const now = nowMs();
    await trx
      .insertInto('quota_namespace_size')
      .values({ namespace_id: namespaceId, size_bytes: namespaceBytes, computed_at: now })
      .onConflict((oc) => oc.column('namespace_id').doUpdateSet({ size_bytes: namespaceBytes, computed_at: now }))
      .execute();
    await trx
      .deleteFrom('quota_repository_size')
      .where('repository_id', 'in', trx.selectFrom('repository').select('id').where('namespace_id', '=', namespaceId))
      .execute();
    const values = [...repositoryBytes].map(([repositoryId, size]) => ({
      repository_id: repositoryId,
      size_bytes: size,
      computed_at: now,
    }));
    for (let i = 0; i < values.length; i += 500) {
      // A concurrent recount of the same namespace may have stored a row meanwhile: the newer count wins.
      await trx
        .insertInto('quota_repository_size')
        .values(values.slice(i, i + 500))
        .onConflict((oc) =>
          oc.column('repository_id').doUpdateSet((eb) => ({
            size_bytes: eb.ref('excluded.size_bytes'),
            computed_at: eb.ref('excluded.computed_at'),
          })),
        )
        .execute();
    }
    return { namespaceBytes, repositoryBytes };
  });
}

/** The stored size of the namespace; undefined when never computed. */
export async function storedNamespaceSize(db: Db, namespaceId: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('quota_namespace_size')
    .select('size_bytes')
    .where('namespace_id', '=', namespaceId)
    .executeTakeFirst();
  return row ? Number(row.size_bytes) : undefined;
}

/** The stored sizes of these repositories; absent ids were never computed. */
export async function storedRepositorySizes(db: Db, repositoryIds: readonly number[]): Promise<Map<number, number>> {
  if (repositoryIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('quota_repository_size')
    .select(['repository_id', 'size_bytes'])
    .where('repository_id', 'in', [...repositoryIds])
    .execute();
  return new Map(rows.map((r) => [Number(r.repository_id), Number(r.size_bytes)]));
}

/** User and organization namespaces whose size was never computed (the backfill's work), oldest first. */
export async function namespacesNeverCounted(db: Db, limit: number): Promise<number[]> {
  const rows = await db
    .selectFrom('namespace')
    .select('namespace.id')
    .where('namespace.kind', 'in', ['user', 'organization'])
    .where('namespace.deleted_at', 'is', null)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb.selectFrom('quota_namespace_size').select('namespace_id').whereRef('quota_namespace_size.namespace_id', '=', 'namespace.id'),
        ),
      ),
    )
    .orderBy('namespace.id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}
