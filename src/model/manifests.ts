import type { Kysely, Transaction } from 'kysely';
import { onPostgres } from '../db/dialect-of.js';
import type { Database } from '../db/tables.js';
import { Invalid, NotFound } from '../errors.js';
import {
  computeDigest,
  isDigest,
  type ManifestPolicy,
  type ParsedManifest,
  parseDigest,
  parseManifest,
} from '../manifest/index.js';
import { findRepositoryBlobs, linkBlobToRepository, lockHeldBlobs } from './blobs.js';
import { nowMs } from './clock.js';
import { importManifestLabels, labelledTagLifetimeMs } from './labels.js';
import { type RepositoryRef, type RepositoryWithNamespace, repositoryQuery } from './repositories.js';
import { sqlListChunks } from './sql-lists.js';
import { inTagMoveTransaction, moveTag, tagAlive, validateTagName } from './tags.js';

export interface StoredManifest {
  id: number;
  digest: string;
  mediaType: string;
  content: Buffer;
  subjectDigest: string | null;
}

type Db = Kysely<Database> | Transaction<Database>;

function toStored(row: {
  id: number;
  digest: string;
  media_type: string;
  content: Buffer | Uint8Array;
  subject_digest: string | null;
}): StoredManifest {
  return {
    id: row.id,
    digest: row.digest,
    mediaType: row.media_type,
    content: Buffer.isBuffer(row.content) ? row.content : Buffer.from(row.content),
    subjectDigest: row.subject_digest,
  };
}

/** Stored manifests were accepted under the policy of their push; reading them back accepts them all. */
const STORED_MANIFEST_POLICY: ManifestPolicy = {
  generalOciSupport: true,
  helmOciSupport: true,
  allowedArtifactTypes: {},
  ignoreUnknownMediaTypes: true,
};

/**
 * A stored manifest's content read back with the push parser (src/manifest/parse.ts): its config,
 * layers (with urls), children, subject and annotations. Undefined when it no longer parses, which
 * callers treat as a manifest with nothing to show.
 */
export function parseStoredManifest(content: Buffer | Uint8Array, mediaType: string): ParsedManifest | undefined {
  try {
    return parseManifest(Buffer.isBuffer(content) ? content : Buffer.from(content), mediaType, STORED_MANIFEST_POLICY);
  } catch {
    return undefined;
  }
}

/** The digests a stored manifest list lists, in its order ([] for an image manifest). */
export function manifestChildDigests(content: Buffer | Uint8Array, mediaType: string): string[] {
  return parseStoredManifest(content, mediaType)?.children.map((child) => child.digest) ?? [];
}

export async function findManifestByDigest(db: Db, repositoryId: number, digest: string): Promise<StoredManifest | undefined> {
  const row = await db
    .selectFrom('manifest')
    .select(['id', 'digest', 'media_type', 'content', 'subject_digest'])
    .where('repository_id', '=', repositoryId)
    .where('digest', '=', digest)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row ? toStored(row) : undefined;
}

/** Whether the repository stores a manifest (not deleted) with this digest. */
export async function manifestExists(db: Db, repositoryId: number, digest: string): Promise<boolean> {
  const row = await db
    .selectFrom('manifest')
    .select('id')
    .where('repository_id', '=', repositoryId)
    .where('digest', '=', digest)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Starts the push hold of stored manifests again at `now` (as a repeated PUT does), without storing
 * anything: a writer that keeps manifests untagged for a while (the mirror) keeps them from garbage
 * collection. The digests still stored (a manifest GC deleted matches nothing).
 */
export async function renewManifestHolds(db: Db, repositoryId: number, digests: readonly string[], now: number): Promise<Set<string>> {
  const renewed = new Set<string>();
  for (const chunk of sqlListChunks([...new Set(digests)])) {
    const rows = await db
      .updateTable('manifest')
      .set({ pushed_at: now })
      .where('repository_id', '=', repositoryId)
      .where('digest', 'in', chunk)
      .where('deleted_at', 'is', null)
      .returning('digest')
      .execute();
    for (const row of rows) renewed.add(row.digest);
  }
  return renewed;
}

export interface ManifestDetails extends StoredManifest {
  configMediaType: string | null;
  layersSize: number | null;
}

/**
 * A manifest as Quay's API finds it by digest: stored and referenced by a live, visible tag, either
 * directly or as a child of a manifest list such a tag points at. Manifests only dead tags point at
 * are reached through the time machine instead.
 */
export async function findAvailableManifest(db: Db, repositoryId: number, digest: string): Promise<ManifestDetails | undefined> {
  const now = nowMs();
  const row = await db
    .selectFrom('manifest')
    .select(['id', 'digest', 'media_type', 'content', 'subject_digest', 'config_media_type', 'layers_size'])
    .where('repository_id', '=', repositoryId)
    .where('digest', '=', digest)
    .where('deleted_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('tag')
            .select('tag.id')
            .whereRef('tag.manifest_id', '=', 'manifest.id')
            .where('tag.hidden', '=', 0)
            .where(tagAlive(now)),
        ),
        eb.exists(
          eb
            .selectFrom('manifest_child')
            .innerJoin('tag', 'tag.manifest_id', 'manifest_child.manifest_id')
            .select('tag.id')
            .whereRef('manifest_child.child_manifest_id', '=', 'manifest.id')
            .where('tag.hidden', '=', 0)
            .where(tagAlive(now)),
        ),
      ]),
    )
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    ...toStored(row),
    configMediaType: row.config_media_type,
    layersSize: row.layers_size === null ? null : Number(row.layers_size),
  };
}

export function unknownManifest(reference: string): NotFound {
  return new NotFound('manifest', `manifest ${reference} is unknown`, { reference });
}

export interface RepositoryAndManifest {
  repository: RepositoryWithNamespace | undefined;
  manifest: StoredManifest | undefined;
}

interface ManifestColumns {
  manifest_id: number | null;
  manifest_digest: string | null;
  manifest_media_type: string | null;
  manifest_content: Buffer | Uint8Array | null;
  manifest_subject_digest: string | null;
}

function splitRepositoryAndManifest(row: (RepositoryWithNamespace & ManifestColumns) | undefined): RepositoryAndManifest {
  if (!row) return { repository: undefined, manifest: undefined };
  const { manifest_id, manifest_digest, manifest_media_type, manifest_content, manifest_subject_digest, ...repository } = row;
  const manifest =
    manifest_id === null || manifest_digest === null || manifest_media_type === null || manifest_content === null
      ? undefined
      : toStored({
          id: manifest_id,
          digest: manifest_digest,
          media_type: manifest_media_type,
          content: manifest_content,
          subject_digest: manifest_subject_digest,
        });
  return { repository, manifest };
}

const MANIFEST_COLUMNS = [
  'manifest.id as manifest_id',
  'manifest.digest as manifest_digest',
  'manifest.media_type as manifest_media_type',
  'manifest.content as manifest_content',
  'manifest.subject_digest as manifest_subject_digest',
] as const;

/**
 * The repository and the manifest a tag or digest names, in one round trip: manifest GET and HEAD
 * are the most frequent requests a registry serves.
 */
export async function findRepositoryAndManifest(
  db: Kysely<Database>,
  ref: RepositoryRef,
  reference: string,
): Promise<RepositoryAndManifest> {
  const base = repositoryQuery(db, ref);
  const row = isDigest(reference)
    ? await base
        .leftJoin('manifest', (join) =>
          join
            .onRef('manifest.repository_id', '=', 'repository.id')
            .on('manifest.digest', '=', reference)
            .on('manifest.deleted_at', 'is', null),
        )
        .select(MANIFEST_COLUMNS)
        .executeTakeFirst()
    : await base
        .leftJoin('tag', (join) =>
          join
            .onRef('tag.repository_id', '=', 'repository.id')
            .on('tag.name', '=', reference)
            .on('tag.hidden', '=', 0)
            .on(tagAlive(nowMs())),
        )
        .leftJoin('manifest', 'manifest.id', 'tag.manifest_id')
        .select(MANIFEST_COLUMNS)
        .executeTakeFirst();
  return splitRepositoryAndManifest(row);
}

export interface PutManifestInput {
  repositoryId: number;
  /** A tag name or the digest the client claims for the bytes. */
  reference: string;
  bytes: Buffer;
  /** The result of parseManifest over exactly `bytes`. */
  parsed: ParsedManifest;
  /** The image config's labels, stored as `manifest` labels when this push creates the manifest. */
  configLabels?: Record<string, string> | undefined;
}

export interface PutManifestResult {
  manifestId: number;
  digest: string;
  subjectDigest: string | null;
  tag: string | null;
}

function checkClaimedDigest(reference: string, bytes: Buffer, parsed: ParsedManifest): string {
  const { algorithm } = parseDigest(reference);
  const actual = algorithm === 'sha256' ? parsed.digest : computeDigest(bytes, algorithm);
  if (actual !== reference) {
    throw new Invalid('digest', `manifest digest mismatch: the content has digest ${actual}`, {
      expected: reference,
      actual,
    });
  }
  return actual;
}

interface ChildManifest {
  digest: string;
  id: number;
}

async function childManifests(db: Db, repositoryId: number, parsed: ParsedManifest): Promise<ChildManifest[]> {
  const wanted = [...new Set(parsed.children.map((c) => c.digest))];
  if (wanted.length === 0) return [];
  const rows = await db
    .selectFrom('manifest')
    .select(['id', 'digest'])
    .where('repository_id', '=', repositoryId)
    .where('digest', 'in', wanted)
    .where('deleted_at', 'is', null)
    .execute();
  const found = new Map(rows.map((r) => [r.digest, r.id]));
  const missing = wanted.find((d) => !found.has(d));
  if (missing) throw unknownChild(missing);
  return wanted.map((d) => ({ digest: d, id: found.get(d)! }));
}

function unknownChild(digest: string): Invalid {
  return new Invalid('manifest_blob', `manifest ${digest} referenced by the index is unknown to this repository`, { digest });
}

/**
 * Of `childIds`, those still stored (not deleted), share-locked on PostgreSQL until the transaction
 * ends so garbage collection cannot delete them before the index referencing them commits.
 */
async function lockStoredManifests(trx: Transaction<Database>, childIds: readonly number[]): Promise<Set<number>> {
  if (childIds.length === 0) return new Set();
  let query = trx.selectFrom('manifest').select('id').where('id', 'in', [...new Set(childIds)]).where('deleted_at', 'is', null);
  if (onPostgres(trx)) query = query.forShare();
  const rows = await query.execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * Stores the manifest row, or revives and re-stamps an existing one: every PUT sets pushed_at, which
 * keeps the manifest from garbage collection for PUSH_TEMP_TAG_EXPIRATION_SEC. The update comes
 * first: it locks an existing row against GC (and on SQLite takes the writer lock at once); a row
 * GC deleted meanwhile matches nothing and is inserted again.
 */
async function insertManifestRow(
  trx: Transaction<Database>,
  repositoryId: number,
  parsed: ParsedManifest,
  digest: string,
  bytes: Buffer,
): Promise<{ id: number; created: boolean }> {
  const now = nowMs();
  const existing = await trx
    .updateTable('manifest')
    .set({ deleted_at: null, pushed_at: now })
    .where('repository_id', '=', repositoryId)
    .where('digest', '=', digest)
    .returning('id')
    .executeTakeFirst();
  if (existing) return { id: existing.id, created: false };
  const row = await trx
    .insertInto('manifest')
    .values({
      repository_id: repositoryId,
      digest,
      media_type: parsed.mediaType,
      artifact_type: parsed.artifactType,
      config_media_type: parsed.config?.mediaType ?? null,
      subject_digest: parsed.subject?.digest ?? null,
      size: bytes.length,
      layers_size: parsed.kind === 'image' ? parsed.layersSize : null,
      content: bytes,
      created_at: now,
      deleted_at: null,
      pushed_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, created: true };
}

/**
 * Stores a manifest byte-for-byte and, for a tag reference, moves the tag to it, all in one
 * transaction. Every blob and child manifest it references must already be in the repository.
 */
export async function putManifest(db: Kysely<Database>, input: PutManifestInput): Promise<PutManifestResult> {
  const byDigest = isDigest(input.reference);
  if (!byDigest) validateTagName(input.reference);
  const { parsed } = input;
  const digest = byDigest ? checkClaimedDigest(input.reference, input.bytes, parsed) : parsed.digest;

  const required = parsed.requiredBlobs.map((b) => b.digest);
  const blobs = await findRepositoryBlobs(db, input.repositoryId, required);
  const missingBlob = required.find((d) => !blobs.has(d));
  if (missingBlob) {
    throw new Invalid('manifest_blob', `blob ${missingBlob} is unknown to this repository`, { digest: missingBlob });
  }
  const children = await childManifests(db, input.repositoryId, parsed);

  const manifestId = await inTagMoveTransaction(db, async (trx) => {
    const { id: manifestId, created } = await insertManifestRow(trx, input.repositoryId, parsed, digest, input.bytes);
    if (created && input.configLabels) await importManifestLabels(trx, manifestId, input.configLabels);
    // Checked again under lock: garbage collection may have taken a blob or child since the checks above.
    const held = await lockHeldBlobs(trx, input.repositoryId, [...blobs.values()].map((b) => b.id));
    const gone = [...blobs.values()].find((b) => !held.has(b.id));
    if (gone) throw new Invalid('manifest_blob', `blob ${gone.digest} is unknown to this repository`, { digest: gone.digest });
    const stored = await lockStoredManifests(trx, children.map((c) => c.id));
    const goneChild = children.find((c) => !stored.has(c.id));
    if (goneChild) throw unknownChild(goneChild.digest);
    for (const blob of blobs.values()) {
      await trx
        .insertInto('manifest_blob')
        .values({ manifest_id: manifestId, blob_id: blob.id })
        .onConflict((oc) => oc.columns(['manifest_id', 'blob_id']).doNothing())
        .execute();
      await linkBlobToRepository(trx, input.repositoryId, blob.id, null);
    }
    for (const child of children) {
      await trx
        .insertInto('manifest_child')
        .values({ manifest_id: manifestId, child_manifest_id: child.id })
        .onConflict((oc) => oc.columns(['manifest_id', 'child_manifest_id']).doNothing())
        .execute();
    }
    if (!byDigest) {
      const expiresAfterMs = await labelledTagLifetimeMs(trx, manifestId, parsed.kind === 'index');
      await moveTag(trx, input.repositoryId, input.reference, manifestId, { expiresAfterMs });
    }
    return manifestId;
  });
  return { manifestId, digest, subjectDigest: parsed.subject?.digest ?? null, tag: byDigest ? null : input.reference };
}

/** Deletes a manifest by digest: it stops being served and every live tag pointing at it ends. */
export async function deleteManifest(db: Kysely<Database>, repositoryId: number, digest: string): Promise<void> {
  const manifest = await findManifestByDigest(db, repositoryId, digest);
  if (!manifest) throw unknownManifest(digest);
  const now = nowMs();
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('tag')
      .set({ lifetime_end_ms: now })
      .where('manifest_id', '=', manifest.id)
      .where(tagAlive(now))
      .execute();
    await trx.updateTable('manifest').set({ deleted_at: now }).where('id', '=', manifest.id).execute();
  });
}

export interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** Manifests of the repository whose `subject` is `digest`, as OCI descriptors. */
export async function listReferrers(
  db: Db,
  repositoryId: number,
  digest: string,
  artifactType?: string,
): Promise<ReferrerDescriptor[]> {
  let query = db
    .selectFrom('manifest')
    .select(['digest', 'media_type', 'size', 'artifact_type', 'content'])
    .where('repository_id', '=', repositoryId)
    .where('subject_digest', '=', digest)
    .where('deleted_at', 'is', null);
  if (artifactType !== undefined) query = query.where('artifact_type', '=', artifactType);
  const rows = await query.orderBy('created_at').orderBy('id').execute();
  return rows.map((row) => {
    const descriptor: ReferrerDescriptor = { mediaType: row.media_type, digest: row.digest, size: Number(row.size) };
    if (row.artifact_type) descriptor.artifactType = row.artifact_type;
    const annotations = parseStoredManifest(row.content, row.media_type)?.annotations;
    if (annotations && Object.keys(annotations).length > 0) descriptor.annotations = annotations;
    return descriptor;
  });
}
