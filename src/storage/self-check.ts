import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobStore, UploadState } from './blob-store.js';
import { asBuffer } from './streams.js';

/**
 * Round-trips a tiny, unique probe through a location: upload, read back, commit, stat, read,
 * delete. Used by `quayside config validate` and health checks. Throws an Error naming the
 * location and the step that failed.
 */
export async function storageSelfCheck(store: BlobStore): Promise<void> {
  const probe = Buffer.from(`quayside storage self-check ${randomUUID()}\n`);
  const digest = `sha256:${createHash('sha256').update(probe).digest('hex')}`;
  const upload: UploadState = { uploadId: `selfcheck-${randomUUID()}`, chunkCount: 1, totalBytes: probe.length };
  let step = 'writing an upload chunk';
  try {
    const written = await store.writeUploadChunk({ uploadId: upload.uploadId, index: 0, offset: 0 }, Readable.from([probe]));
    expect(written === probe.length, `it reported ${written} bytes written instead of ${probe.length}`);
    step = 'reading the upload back';
    expect((await readAll(await store.readUpload(upload))).equals(probe), 'the upload read back differs from what was written');
    step = 'committing the upload';
    await store.commitUpload(upload, digest);
    step = 'checking the committed blob';
    const size = await store.stat(digest);
    expect(size === probe.length, `stat reported ${size} instead of ${probe.length} bytes`);
    step = 'reading the committed blob';
    expect((await readAll(await store.read(digest))).equals(probe), 'the blob read back differs from what was written');
    step = 'deleting the probe blob';
    await store.delete(digest);
    expect((await store.stat(digest)) === null, 'the probe blob is still there after delete');
  } catch (err) {
    await store.abortUpload(upload).catch(() => undefined);
    await store.delete(digest).catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`storage location "${store.location}" (${store.driver}) failed its self-check while ${step}: ${reason}`, {
      cause: err,
    });
  }
}

function expect(condition: boolean, failure: string): void {
  if (!condition) throw new Error(failure);
}

async function readAll(stream: Readable): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of stream) pieces.push(asBuffer(piece));
  return Buffer.concat(pieces);
}
