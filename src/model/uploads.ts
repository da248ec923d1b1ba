import { createHash, type Hash, randomUUID } from 'node:crypto';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import type { Kysely, Selectable } from 'kysely';
import type { Database, UploadTable } from '../db/tables.js';
import { Invalid, NotFound, TooLarge } from '../errors.js';
import type { QuaysideConfig } from '../config/load.js';
import type { UploadState } from '../storage/blob-store.js';
import type { Storage } from '../storage/storage.js';
import { type BlobRecord, linkBlobToRepository, recordBlob } from './blobs.js';
import { nowMs } from './clock.js';
import { parseDigest } from '../manifest/index.js';

export type Upload = Selectable<UploadTable>;

export interface UploadDeps {
  db: Kysely<Database>;
  storage: Storage;
  maxBlobBytes: number;
  pushTempExpirationSeconds: number;
}

/** The upload settings of an instance: its database and storage, and its configured limits. */
export function uploadDeps(services: {
  db: Kysely<Database>;
  storage: Storage;
  config: Pick<QuaysideConfig, 'maxLayerBytes' | 'PUSH_TEMP_TAG_EXPIRATION_SEC'>;
}): UploadDeps {
  return {
    db: services.db,
    storage: services.storage,
    maxBlobBytes: services.config.maxLayerBytes,
    pushTempExpirationSeconds: services.config.PUSH_TEMP_TAG_EXPIRATION_SEC,
  };
}

/**
 * Running sha256 of uploads this process has streamed, so a commit need not re-read the bytes.
 * Valid only while `offset` equals the upload's stored byte count; an upload continued on another
 * replica (or after a restart) is re-hashed from storage at commit.
 */
interface RunningHash {
  hash: Hash;
  offset: number;
}
const runningHashes = new Map<string, RunningHash>();

function uploadState(upload: Upload): UploadState {
  return { uploadId: upload.uuid, chunkCount: upload.chunk_count, totalBytes: upload.byte_count };
}

export async function startUpload(deps: UploadDeps, repositoryId: number): Promise<Upload> {
  const now = nowMs();
  const upload: Upload = {
    uuid: randomUUID(),
    repository_id: repositoryId,
    byte_count: 0,
    chunk_count: 0,
    location: deps.storage.preferred.location,
    storage_metadata: null,
    hashed_bytes: null,
    hashed_digest: null,
    created_at: now,
    updated_at: now,
  };
  await deps.db.insertInto('upload').values(upload).execute();
  return upload;
}

export async function getUpload(db: Kysely<Database>, repositoryId: number, uuid: string): Promise<Upload> {
  const upload = await db
    .selectFrom('upload')
    .selectAll()
    .where('uuid', '=', uuid)
    .where('repository_id', '=', repositoryId)
    .executeTakeFirst();
  if (!upload) throw new NotFound('upload', `upload ${uuid} is unknown`);
  return upload;
}

/** Counts bytes, enforces the size limit and feeds the running hash while data streams to storage. */
class MeteredStream extends Transform {
  bytes = 0;
  constructor(
    private readonly limit: number,
    private readonly hash: Hash | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      callback(new TooLarge(`blob exceeds the maximum layer size of ${this.limit} bytes`));
      return;
    }
    this.hash?.update(chunk);
    callback(null, chunk);
  }
}

export interface ChunkRange {
  start: number;
  /** Inclusive end, when the client sent one. */
  end?: number;
}

function storeFor(deps: UploadDeps, upload: Upload) {
  const store = deps.storage.location(upload.location);
  if (!store) throw new Invalid('upload', `upload ${upload.uuid} was written to unknown location ${upload.location}`);
  return store;
}

/**
 * Appends one chunk. The chunk must start where the upload ends; otherwise Invalid('range') (416).
 * Storage is written first and the byte count moved after, so a chunk cut short by a crash is simply
 * overwritten by the client's retry.
 */
export async function appendChunk(deps: UploadDeps, upload: Upload, data: Readable, range?: ChunkRange): Promise<Upload> {
  if (range && range.start !== upload.byte_count) {
    data.resume();
    throw new Invalid('range', `chunk starts at ${range.start} but the upload holds ${upload.byte_count} bytes`, {
      expectedStart: upload.byte_count,
    });
  }
  const hash = hashContinuing(upload);
  const meter = new MeteredStream(deps.maxBlobBytes - upload.byte_count, hash);
  const store = storeFor(deps, upload);
  const chunk = { uploadId: upload.uuid, index: upload.chunk_count, offset: upload.byte_count };
  data.on('error', (err) => meter.destroy(err));
  // The storage driver consumes `meter` and rejects with its error; this listener only keeps a
  // late re-emission by pipe() from becoming an uncaught exception.
  meter.on('error', () => {});
  data.pipe(meter);
  let written: number;
  try {
    written = await store.writeUploadChunk(chunk, meter);
  } catch (err) {
    runningHashes.delete(upload.uuid);
    throw err;
  }
  if (range?.end !== undefined && range.end - range.start + 1 !== written) {
    runningHashes.delete(upload.uuid);
    throw new Invalid('range', `Content-Range announced ${range.end - range.start + 1} bytes but ${written} arrived`, {
      expectedStart: upload.byte_count,
    });
  }
  if (written === 0) return upload;
  const updatedAt = nowMs();
  const byteCount = upload.byte_count + written;
  const hashed = hash
    ? { hashed_bytes: byteCount, hashed_digest: `sha256:${hash.copy().digest('hex')}` }
    : { hashed_bytes: null, hashed_digest: null };
  const moved = await deps.db
    .updateTable('upload')
    .set({ byte_count: byteCount, chunk_count: upload.chunk_count + 1, updated_at: updatedAt, ...hashed })
    .where('uuid', '=', upload.uuid)
    .where('byte_count', '=', upload.byte_count)
    .executeTakeFirst();
  if (Number(moved.numUpdatedRows) !== 1) {
    runningHashes.delete(upload.uuid);
    throw new Invalid('range', `upload ${upload.uuid} was changed by another request`);
  }
  if (hash) runningHashes.set(upload.uuid, { hash, offset: byteCount });
  return { ...upload, ...hashed, byte_count: byteCount, chunk_count: upload.chunk_count + 1, updated_at: updatedAt };
}

/** The running hash to feed with the next chunk: this process's, or a fresh one at offset 0. */
function hashContinuing(upload: Upload): Hash | undefined {
  const running = runningHashes.get(upload.uuid);
  if (running && running.offset === upload.byte_count) return running.hash;
  runningHashes.delete(upload.uuid);
  return upload.byte_count === 0 ? createHash('sha256') : undefined;
}

async function digestOfUpload(deps: UploadDeps, upload: Upload, algorithm: 'sha256' | 'sha512'): Promise<string> {
  if (algorithm === 'sha256' && upload.byte_count === 0) return `sha256:${createHash('sha256').digest('hex')}`;
  if (algorithm === 'sha256' && upload.hashed_bytes === upload.byte_count && upload.hashed_digest) {
    return upload.hashed_digest;
  }
  const hash = createHash(algorithm);
  const stream = await storeFor(deps, upload).readUpload(uploadState(upload));
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `${algorithm}:${hash.digest('hex')}`;
}

async function discardUpload(deps: UploadDeps, upload: Upload): Promise<void> {
  runningHashes.delete(upload.uuid);
  await deps.db.deleteFrom('upload').where('uuid', '=', upload.uuid).execute();
  await storeFor(deps, upload).abortUpload(uploadState(upload));
}

/**
 * Verifies the upload's digest and publishes it as a blob of the repository. A mismatch discards
 * the upload and stores nothing. The blob row is written only after storage holds the whole blob.
 *
 * Garbage collection may be deleting an unreferenced blob of the same digest at this moment: it
 * removes the object while holding the blob row's lock. So the row is locked here (recordBlob)
 * before the object is looked at; if the object is gone, GC removed the bytes just committed, and
 * the upload fails with nothing recorded (the client uploads again).
 */
export async function completeUpload(deps: UploadDeps, upload: Upload, expectedDigest: string): Promise<BlobRecord> {
  const { algorithm } = parseDigest(expectedDigest);
  const actual = await digestOfUpload(deps, upload, algorithm);
  if (actual !== expectedDigest) {
    await discardUpload(deps, upload);
    throw new Invalid('digest', `digest mismatch: the uploaded content has digest ${actual}`, {
      expected: expectedDigest,
      actual,
    });
  }
  const store = storeFor(deps, upload);
  await store.commitUpload(uploadState(upload), expectedDigest);
  runningHashes.delete(upload.uuid);
  const expiresAt = nowMs() + deps.pushTempExpirationSeconds * 1000;
  const recorded = await deps.db.transaction().execute(async (trx) => {
    const blob = await recordBlob(trx, expectedDigest, upload.byte_count, upload.location);
    // Rolled back (the blob row is not kept) when the bytes are gone.
    if ((await store.stat(expectedDigest)) === null) throw new BytesCollected();
    await linkBlobToRepository(trx, upload.repository_id, blob.id, expiresAt);
    await trx.deleteFrom('upload').where('uuid', '=', upload.uuid).execute();
    return blob;
  }).catch((err: unknown) => {
    if (err instanceof BytesCollected) return undefined;
    throw err;
  });
  if (recorded) return recorded;
  // The session's parts went with the commit: it cannot be completed again.
  await deps.db.deleteFrom('upload').where('uuid', '=', upload.uuid).execute();
  throw new Invalid('upload', `blob ${expectedDigest} was removed by garbage collection while it was committed; upload it again`);
}

/** Signals, inside completeUpload's transaction, that GC removed the bytes just committed. */
class BytesCollected extends Error {}

export async function cancelUpload(deps: UploadDeps, upload: Upload): Promise<void> {
  await discardUpload(deps, upload);
}
