import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql, type Transaction } from 'kysely';
import { onPostgres } from '../db/dialect-of.js';
import type { Database } from '../db/tables.js';
import { NotFound } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { Storage } from '../storage/storage.js';
import { nowMs } from './clock.js';
import { isForeignKeyViolation } from './gc/row-locks.js';
import { type RepositoryRef, type RepositoryWithNamespace, repositoryQuery } from './repositories.js';
import { sqlListChunks } from './sql-lists.js';

export interface BlobRecord {
  id: number;
  digest: string;
  size: number;
}

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The condition for a link that lets its repository serve the blob at `now`: permanent (made so by
 * a manifest push) or an upload or mount hold that has not run out. Every reader of links uses it.
 */
export function linkAlive(now: number) {
  return (eb: ExpressionBuilder<Database, 'repository_blob'>): Expression<SqlBool> =>
    eb.or([eb('repository_blob.expires_at', 'is', null), eb('repository_blob.expires_at', '>', now)]);
}

/** A blob the repository holds: linked by an upload or mount that has not expired, or by a manifest. */
export async function findRepositoryBlob(db: Db, repositoryId: number, digest: string): Promise<BlobRecord | undefined> {
  const now = nowMs();
  return db
    .selectFrom('repository_blob')
    .innerJoin('blob', 'blob.id', 'repository_blob.blob_id')
    .select(['blob.id', 'blob.digest', 'blob.size'])
    .where('repository_blob.repository_id', '=', repositoryId)
    .where('blob.digest', '=', digest)
    .where(linkAlive(now))
    .executeTakeFirst();
}

export function unknownBlob(digest: string): NotFound {
  return new NotFound('blob', `blob ${digest} is unknown to this repository`, { digest });
}

export async function getRepositoryBlob(db: Db, repositoryId: number, digest: string): Promise<BlobRecord> {
  const blob = await findRepositoryBlob(db, repositoryId, digest);
  if (!blob) throw unknownBlob(digest);
  return blob;
}

/** The subset of `digests` the repository holds, keyed by digest. */
export async function findRepositoryBlobs(
  db: Db,
  repositoryId: number,
  digests: string[],
): Promise<Map<string, BlobRecord>> {
  if (digests.length === 0) return new Map();
  const now = nowMs();
  const rows = await db
    .selectFrom('repository_blob')
    .innerJoin('blob', 'blob.id', 'repository_blob.blob_id')
    .select(['blob.id', 'blob.digest', 'blob.size'])
    .where('repository_blob.repository_id', '=', repositoryId)
    .where('blob.digest', 'in', [...new Set(digests)])
    .where(linkAlive(now))
    .execute();
  return new Map(rows.map((r) => [r.digest, r]));
}

export async function findBlob(db: Db, digest: string): Promise<BlobRecord | undefined> {
  return db.selectFrom('blob').select(['id', 'digest', 'size']).where('digest', '=', digest).executeTakeFirst();
}

/**
 * Records a blob committed to `location` (idempotent) and returns its row, share-locked on
 * PostgreSQL until the transaction ends, so garbage collection cannot delete it meanwhile (see
 * docs/garbage-collection.md). On SQLite the insert, the transaction's first statement, already
 * holds the database's writer lock. Run it inside a transaction.
 */
export async function recordBlob(trx: Transaction<Database>, digest: string, size: number, location: string): Promise<BlobRecord> {
  // GC may delete the row between our insert and our lock: then the row is simply inserted again.
  for (let attempt = 0; ; attempt++) {
    await trx
      .insertInto('blob')
      .values({ digest, size, created_at: nowMs() })
      .onConflict((oc) => oc.column('digest').doNothing())
      .execute();
    let query = trx.selectFrom('blob').select(['id', 'digest', 'size']).where('digest', '=', digest);
    if (onPostgres(trx)) query = query.forShare();
    const blob = await query.executeTakeFirst();
    if (blob) {
      await trx
        .insertInto('blob_placement')
        .values({ blob_id: blob.id, location })
        .onConflict((oc) => oc.columns(['blob_id', 'location']).doNothing())
        .execute();
      return blob;
    }
    if (attempt >= 2) throw new Error(`blob ${digest} keeps disappearing while it is recorded`);
  }
}

/**
 * Of `blobIds`, those the repository still holds (the blob row exists and a live link to it),
 * share-locked on PostgreSQL until the transaction ends: a manifest may reference them, and GC
 * (which locks a blob FOR UPDATE before deleting it) cannot take them away before the commit.
 */
export async function lockHeldBlobs(trx: Transaction<Database>, repositoryId: number, blobIds: readonly number[]): Promise<Set<number>> {
  if (blobIds.length === 0) return new Set();
  const now = nowMs();
  let query = trx
    .selectFrom('blob')
    .innerJoin('repository_blob', 'repository_blob.blob_id', 'blob.id')
    .select('blob.id')
    .where('blob.id', 'in', [...new Set(blobIds)])
    .where('repository_blob.repository_id', '=', repositoryId)
    .where(linkAlive(now));
  if (onPostgres(trx)) query = query.forShare('blob');
  const rows = await query.execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * Links a blob to a repository until `expiresAt` (a push in progress) or for good (expiresAt null,
 * once a manifest references it). A permanent link is never turned back into an expiring one. The
 * hold of the latest upload or mount survives in hold_until while the link is permanent: garbage
 * collection honours it if it drops the link because the manifests using the blob went.
 */
export async function linkBlobToRepository(
  db: Db,
  repositoryId: number,
  blobId: number,
  expiresAt: number | null,
): Promise<void> {
  const current = sql.ref('repository_blob.expires_at');
  const offered = sql.ref('excluded.expires_at');
  try {
    await db
      .insertInto('repository_blob')
      .values({ repository_id: repositoryId, blob_id: blobId, expires_at: expiresAt })
      .onConflict((oc) =>
        oc.columns(['repository_id', 'blob_id']).doUpdateSet(
          expiresAt === null
            ? { expires_at: null, hold_until: sql<number | null>`coalesce(${current}, ${sql.ref('repository_blob.hold_until')})` }
            : {
                expires_at: sql<number | null>`case when ${current} is null then null else ${offered} end`,
                hold_until: sql<number | null>`case when ${current} is null then ${offered} else null end`,
              },
        ),
      )
      .execute();
  } catch (err) {
    // A mount (which holds no lock on the blob) raced garbage collection deleting it.
    if (isForeignKeyViolation(err)) throw new NotFound('blob', 'the blob was garbage collected; upload it again');
    throw err;
  }
}

/**
 * Links an already-stored blob (a mount) until `expiresAt`; false when garbage collection deleted
 * the blob meanwhile, so the caller uploads the bytes instead.
 */
export async function linkBlobUnlessCollected(db: Db, repositoryId: number, blobId: number, expiresAt: number): Promise<boolean> {
  try {
    await linkBlobToRepository(db, repositoryId, blobId, expiresAt);
    return true;
  } catch (err) {
    if (err instanceof NotFound) return false;
    throw err;
  }
}

export async function unlinkBlobFromRepository(db: Db, repositoryId: number, blobId: number): Promise<void> {
  await db
    .deleteFrom('repository_blob')
    .where('repository_id', '=', repositoryId)
    .where('blob_id', '=', blobId)
    .execute();
}

/**
 * Extends the upload or mount holds of the repository's blobs `digests` that are still held to
 * `expiresAt`; permanent links (a manifest uses the blob) and holds that ran out stay as they are.
 */
export async function renewBlobHolds(
  db: Db,
  repositoryId: number,
  digests: readonly string[],
  expiresAt: number,
  now: number,
): Promise<void> {
  for (const chunk of sqlListChunks([...new Set(digests)])) {
    await db
      .updateTable('repository_blob')
      .set({ expires_at: expiresAt })
      .where('repository_id', '=', repositoryId)
      .where('expires_at', '>', now)
      .where('blob_id', 'in', (eb) => eb.selectFrom('blob').select('blob.id').where('blob.digest', 'in', chunk))
      .execute();
  }
}

/** Repositories (ids) other than `exceptRepositoryId` that hold the blob, for automatic cross-repo mounts. */
export async function repositoriesHoldingBlob(
  db: Db,
  blobId: number,
  exceptRepositoryId: number,
  limit: number,
): Promise<number[]> {
  const now = nowMs();
  const rows = await db
    .selectFrom('repository_blob')
    .select('repository_id')
    .where('blob_id', '=', blobId)
    .where('repository_id', '!=', exceptRepositoryId)
    .where(linkAlive(now))
    .limit(limit)
    .execute();
  return rows.map((r) => r.repository_id);
}

export interface RepositoryAndBlob {
  repository: RepositoryWithNamespace | undefined;
  blob: BlobRecord | undefined;
}

/** The repository and, if it holds it, the blob `digest`, in one round trip (the blob GET/HEAD path). */
export async function findRepositoryAndBlob(
  db: Kysely<Database>,
  ref: RepositoryRef,
  digest: string,
): Promise<RepositoryAndBlob> {
  const now = nowMs();
  const row = await repositoryQuery(db, ref)
    .leftJoin('blob', (join) => join.on('blob.digest', '=', digest))
    .leftJoin('repository_blob', (join) =>
      join
        .onRef('repository_blob.repository_id', '=', 'repository.id')
        .onRef('repository_blob.blob_id', '=', 'blob.id')
        .on(linkAlive(now)),
    )
    .select(['blob.size as blob_size', 'repository_blob.blob_id as held_blob_id'])
    .executeTakeFirst();
  if (!row) return { repository: undefined, blob: undefined };
  const { blob_size, held_blob_id, ...repository } = row;
  const blob = held_blob_id === null || blob_size === null ? undefined : { id: held_blob_id, digest, size: Number(blob_size) };
  return { repository, blob };
}

/** The first location, in preference order, that holds the blob. */
export async function locateBlob(db: Db, storage: Storage, blobId: number): Promise<BlobStore> {
  // With a single location every recorded blob was placed there: no need to ask.
  if (storage.ordered.length === 1) return storage.ordered[0]!;
  const rows = await db.selectFrom('blob_placement').select('location').where('blob_id', '=', blobId).execute();
  const held = new Set(rows.map((r) => r.location));
  const store = storage.ordered.find((s) => held.has(s.location));
  if (!store) throw new NotFound('blob', 'blob has no readable storage location');
  return store;
}
