import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../db/tables.js';
import { NotFound } from '../errors.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { Storage } from '../storage/storage.js';
import { nowMs } from './clock.js';
import { type RepositoryRef, type RepositoryWithNamespace, repositoryQuery } from './repositories.js';

export interface BlobRecord {
  id: number;
  digest: string;
  size: number;
}

type Db = Kysely<Database> | Transaction<Database>;

/** A blob the repository holds: linked by an upload or mount that has not expired, or by a manifest. */
export async function findRepositoryBlob(db: Db, repositoryId: number, digest: string): Promise<BlobRecord | undefined> {
  const now = nowMs();
  return db
    .selectFrom('repository_blob')
    .innerJoin('blob', 'blob.id', 'repository_blob.blob_id')
    .select(['blob.id', 'blob.digest', 'blob.size'])
    .where('repository_blob.repository_id', '=', repositoryId)
    .where('blob.digest', '=', digest)
    .where((eb) => eb.or([eb('repository_blob.expires_at', 'is', null), eb('repository_blob.expires_at', '>', now)]))
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
    .where((eb) => eb.or([eb('repository_blob.expires_at', 'is', null), eb('repository_blob.expires_at', '>', now)]))
    .execute();
  return new Map(rows.map((r) => [r.digest, r]));
}

export async function findBlob(db: Db, digest: string): Promise<BlobRecord | undefined> {
  return db.selectFrom('blob').select(['id', 'digest', 'size']).where('digest', '=', digest).executeTakeFirst();
}

/** Records a blob committed to `location` (idempotent) and returns its row. */
export async function recordBlob(db: Db, digest: string, size: number, location: string): Promise<BlobRecord> {
  await db
    .insertInto('blob')
    .values({ digest, size, created_at: nowMs() })
    .onConflict((oc) => oc.column('digest').doNothing())
    .execute();
  const blob = await db
    .selectFrom('blob')
    .select(['id', 'digest', 'size'])
    .where('digest', '=', digest)
    .executeTakeFirstOrThrow();
  await db
    .insertInto('blob_placement')
    .values({ blob_id: blob.id, location })
    .onConflict((oc) => oc.columns(['blob_id', 'location']).doNothing())
    .execute();
  return blob;
}

/**
 * Links a blob to a repository until `expiresAt` (a push in progress) or for good (expiresAt null,
 * once a manifest references it). A permanent link is never turned back into an expiring one.
 */
export async function linkBlobToRepository(
  db: Db,
  repositoryId: number,
  blobId: number,
  expiresAt: number | null,
): Promise<void> {
  await db
    .insertInto('repository_blob')
    .values({ repository_id: repositoryId, blob_id: blobId, expires_at: expiresAt })
    .onConflict((oc) =>
      oc.columns(['repository_id', 'blob_id']).doUpdateSet({
        expires_at:
          expiresAt === null
            ? null
            : sql<number | null>`case when ${sql.ref('repository_blob.expires_at')} is null then null else ${sql.ref('excluded.expires_at')} end`,
      }),
    )
    .execute();
}

export async function unlinkBlobFromRepository(db: Db, repositoryId: number, blobId: number): Promise<void> {
  await db
    .deleteFrom('repository_blob')
    .where('repository_id', '=', repositoryId)
    .where('blob_id', '=', blobId)
    .execute();
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
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
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
        .on((eb) => eb.or([eb('repository_blob.expires_at', 'is', null), eb('repository_blob.expires_at', '>', now)])),
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
