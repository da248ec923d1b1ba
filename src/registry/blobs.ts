import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { blobMountSource, repositoryActions } from '../auth/authorize.js';
import { Invalid } from '../errors.js';
import { parseDigest } from '../manifest/index.js';
import {
  findBlob,
  findRepositoryAndBlob,
  findRepositoryBlob,
  getRepositoryBlob,
  linkBlobUnlessCollected,
  locateBlob,
  unknownBlob,
  unlinkBlobFromRepository,
} from '../model/blobs.js';
import { nowMs } from '../model/clock.js';
import { findRepository, type RepositoryWithNamespace } from '../model/repositories.js';
import {
  appendChunk,
  type ChunkRange,
  cancelUpload,
  completeUpload,
  getUpload,
  startUpload,
  type Upload,
  uploadDeps,
} from '../model/uploads.js';
import type { ByteRange } from '../storage/blob-store.js';
import {
  checkRepository,
  encodeRepositoryPath,
  openRepository,
  openRepositoryForDelete,
  openRepositoryForPush,
  parseRegistryName,
  queryParam,
  type RepositoryCall,
} from './call.js';

const DIRECT_DOWNLOAD_SECONDS = 600;

function blobLocation(call: RepositoryCall, digest: string): string {
  return `/v2/${encodeRepositoryPath(call.path)}/blobs/${digest}`;
}

function uploadLocation(call: RepositoryCall, uuid: string): string {
  return `/v2/${encodeRepositoryPath(call.path)}/blobs/uploads/${uuid}`;
}

/** Range header value for an upload holding `bytes` bytes (Docker's convention: "0-0" when empty). */
function uploadRange(bytes: number): string {
  return `0-${Math.max(0, bytes - 1)}`;
}

function parseRangeHeader(header: string | undefined, size: number): ByteRange | undefined | 'unsatisfiable' {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return 'unsatisfiable';
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

export async function getBlob(call: RepositoryCall, digest: string, head: boolean): Promise<FastifyReply> {
  parseDigest(digest);
  const found = await findRepositoryAndBlob(call.ctx.db, call.ref, digest);
  await checkRepository(call, 'pull', found.repository);
  const blob = found.blob;
  if (!blob) throw unknownBlob(digest);
  const store = await locateBlob(call.ctx.db, call.ctx.storage, blob.id);
  const reply = call.reply.header('Docker-Content-Digest', blob.digest).header('Accept-Ranges', 'bytes');
  if (head) {
    return reply.code(200).header('Content-Length', blob.size).type('application/octet-stream').send();
  }
  const range = parseRangeHeader(call.request.headers.range, blob.size);
  if (range === 'unsatisfiable') {
    return reply.code(416).header('Content-Range', `bytes */${blob.size}`).send();
  }
  if (!call.ctx.config.FEATURE_PROXY_STORAGE) {
    const url = await store.directDownloadUrl(blob.digest, DIRECT_DOWNLOAD_SECONDS);
    if (url) return reply.code(307).header('Location', url).send();
  }
  const stream = await store.read(blob.digest, range);
  reply.type('application/octet-stream');
  countPulledBytesWhenSent(call, range ? range.end - range.start + 1 : blob.size);
  if (range) {
    return reply
      .code(206)
      .header('Content-Range', `bytes ${range.start}-${range.end}/${blob.size}`)
      .header('Content-Length', range.end - range.start + 1)
      .send(stream);
  }
  return reply.code(200).header('Content-Length', blob.size).send(stream);
}

/**
 * Adds a blob response's body to quay_registry_image_pulled_bytes_total once the whole body has
 * been handed to the connection; a download the client aborts counts nothing, and a redirect to
 * the storage's own URL counts nothing either (the bytes do not pass through this process).
 */
function countPulledBytesWhenSent(call: RepositoryCall, bytes: number): void {
  const { metrics } = call.ctx;
  call.reply.raw.once('finish', () => metrics.imagePulledBytes.inc(bytes));
}

export async function deleteBlob(call: RepositoryCall, digest: string): Promise<FastifyReply> {
  parseDigest(digest);
  const repo = await openRepositoryForDelete(call);
  const blob = await getRepositoryBlob(call.ctx.db, repo.id, digest);
  await unlinkBlobFromRepository(call.ctx.db, repo.id, blob.id);
  return call.reply.code(202).header('Docker-Content-Digest', digest).header('Content-Length', 0).send();
}

/**
 * Links `digest` into `repo` from `from` (or, without `from`, any repository the caller may read).
 * False when it cannot (or garbage collection took the blob meanwhile): the client then gets an
 * upload session instead of a mount, as the spec has it for a mount that cannot be made.
 */
async function tryMount(
  call: RepositoryCall,
  repo: RepositoryWithNamespace,
  digest: string,
  from: string | undefined,
): Promise<boolean> {
  if (await findRepositoryBlob(call.ctx.db, repo.id, digest)) return true;
  const blob = await findBlob(call.ctx.db, digest);
  if (!blob) return false;
  const expiresAt = nowMs() + call.ctx.config.PUSH_TEMP_TAG_EXPIRATION_SEC * 1000;
  if (from !== undefined) {
    let sourceRef: ReturnType<typeof parseRegistryName>;
    try {
      sourceRef = parseRegistryName(call.ctx, from);
    } catch {
      return false;
    }
    const source = await findRepository(call.ctx.db, sourceRef);
    if (!source || !(await findRepositoryBlob(call.ctx.db, source.id, digest))) return false;
    const actions = await repositoryActions(call.ctx, call.actor, sourceRef);
    if (!actions.has('pull')) return false;
    return linkBlobUnlessCollected(call.ctx.db, repo.id, blob.id, expiresAt);
  }
  if (await blobMountSource(call.ctx, call.actor, blob.id, repo.id)) return linkBlobUnlessCollected(call.ctx.db, repo.id, blob.id, expiresAt);
  return false;
}

function requestBody(call: RepositoryCall): Readable {
  return call.request.body as Readable;
}

function hasBody(call: RepositoryCall): boolean {
  const length = call.request.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return call.request.headers['transfer-encoding'] !== undefined;
}

/** Appends the request body to the upload, counting the bytes received. */
async function receiveChunk(call: RepositoryCall, upload: Upload, range?: ChunkRange): Promise<Upload> {
  const updated = await appendChunk(uploadDeps(call.ctx), upload, requestBody(call), range);
  call.ctx.metrics.imagePushedBytes.inc(updated.byte_count - upload.byte_count);
  return updated;
}

/** Commits the upload as a blob, counting the completed upload session. */
async function commitUpload(call: RepositoryCall, upload: Upload, digest: string) {
  const blob = await completeUpload(uploadDeps(call.ctx), upload, digest);
  call.ctx.metrics.multipartUploadsCompleted.inc();
  return blob;
}

function uploadAccepted(call: RepositoryCall, upload: Upload): FastifyReply {
  return call.reply
    .code(202)
    .header('Location', uploadLocation(call, upload.uuid))
    .header('Docker-Upload-UUID', upload.uuid)
    .header('Range', uploadRange(upload.byte_count))
    .header('Content-Length', 0)
    .send();
}

function blobCreated(call: RepositoryCall, digest: string): FastifyReply {
  return call.reply
    .code(201)
    .header('Location', blobLocation(call, digest))
    .header('Docker-Content-Digest', digest)
    .header('Content-Length', 0)
    .send();
}

/** POST /v2/<name>/blobs/uploads/: mount, monolithic upload, or a new upload session. */
export async function startBlobUpload(call: RepositoryCall): Promise<FastifyReply> {
  const repo = await openRepositoryForPush(call);
  const mount = queryParam(call.request, 'mount');
  const digest = queryParam(call.request, 'digest');
  if (mount !== undefined) {
    parseDigest(mount);
    if (await tryMount(call, repo, mount, queryParam(call.request, 'from'))) return blobCreated(call, mount);
  }
  const upload = await startUpload(uploadDeps(call.ctx), repo.id);
  call.ctx.metrics.multipartUploadsStarted.inc();
  if (digest === undefined) {
    if (hasBody(call)) requestBody(call).resume();
    return uploadAccepted(call, upload);
  }
  parseDigest(digest);
  const withData = await receiveChunk(call, upload);
  const blob = await commitUpload(call, withData, digest);
  return blobCreated(call, blob.digest);
}

function parseContentRange(header: string | undefined): ChunkRange | undefined {
  if (!header) return undefined;
  const match = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!match) throw new Invalid('range', `malformed Content-Range "${header}"`);
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) throw new Invalid('range', `malformed Content-Range "${header}"`);
  return { start, end };
}

export async function patchBlobUpload(call: RepositoryCall, uuid: string): Promise<FastifyReply> {
  const repo = await openRepository(call, 'push');
  const upload = await getUpload(call.ctx.db, repo.id, uuid);
  const updated = await receiveChunk(call, upload, parseContentRange(call.request.headers['content-range']));
  return uploadAccepted(call, updated);
}

export async function finishBlobUpload(call: RepositoryCall, uuid: string): Promise<FastifyReply> {
  const repo = await openRepository(call, 'push');
  const digest = queryParam(call.request, 'digest');
  if (digest === undefined) throw new Invalid('digest', 'the digest query parameter is required to complete an upload');
  parseDigest(digest);
  let upload = await getUpload(call.ctx.db, repo.id, uuid);
  if (hasBody(call)) {
    upload = await receiveChunk(call, upload, parseContentRange(call.request.headers['content-range']));
  }
  const blob = await commitUpload(call, upload, digest);
  return blobCreated(call, blob.digest);
}

export async function getBlobUploadStatus(call: RepositoryCall, uuid: string): Promise<FastifyReply> {
  const repo = await openRepository(call, 'push');
  const upload = await getUpload(call.ctx.db, repo.id, uuid);
  return call.reply
    .code(204)
    .header('Location', uploadLocation(call, upload.uuid))
    .header('Docker-Upload-UUID', upload.uuid)
    .header('Range', uploadRange(upload.byte_count))
    .send();
}

export async function cancelBlobUpload(call: RepositoryCall, uuid: string): Promise<FastifyReply> {
  const repo = await openRepository(call, 'push');
  const upload = await getUpload(call.ctx.db, repo.id, uuid);
  await cancelUpload(uploadDeps(call.ctx), upload);
  return call.reply.code(204).header('Content-Length', 0).send();
}
