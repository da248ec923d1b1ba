import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobStore, UploadState } from '../../src/storage/blob-store.js';

export function sha256Digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function newUploadId(): string {
  return randomUUID();
}

export function randomData(size: number): Buffer {
  return randomBytes(size);
}

export async function readAll(stream: Readable | Promise<Readable>): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of await stream) pieces.push(Buffer.from(piece as Uint8Array));
  return Buffer.concat(pieces);
}

export async function sha256OfStream(stream: Readable): Promise<{ digest: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const piece of stream) {
    const buffer = Buffer.from(piece as Uint8Array);
    hash.update(buffer);
    bytes += buffer.length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, bytes };
}

/** Writes `chunks` as consecutive chunks 0..n-1 of a new upload and returns its state. */
export async function uploadChunks(store: BlobStore, chunks: Buffer[], uploadId = newUploadId()): Promise<UploadState> {
  let offset = 0;
  for (const [index, chunk] of chunks.entries()) {
    const written = await store.writeUploadChunk({ uploadId, index, offset }, Readable.from([chunk]));
    if (written !== chunk.length) throw new Error(`chunk ${index}: wrote ${written} of ${chunk.length} bytes`);
    offset += chunk.length;
  }
  return { uploadId, chunkCount: chunks.length, totalBytes: offset };
}

export async function commitNewBlob(store: BlobStore, data: Buffer, chunkSize = data.length): Promise<string> {
  const chunks: Buffer[] = [];
  for (let start = 0; start < data.length; start += chunkSize) chunks.push(data.subarray(start, start + chunkSize));
  const upload = await uploadChunks(store, chunks);
  const digest = sha256Digest(data);
  await store.commitUpload(upload, digest);
  return digest;
}

const BLOCK_BYTES = 64 * 1024;

/**
 * A large pseudo-random blob made of 64 KiB blocks, each derived from (seed, block number), so any
 * run of blocks can be streamed and hashed without holding the blob in memory.
 */
export class GeneratedBlob {
  constructor(
    readonly seed: number,
    readonly blockCount: number,
  ) {}

  static ofMiB(mebibytes: number, seed: number): GeneratedBlob {
    return new GeneratedBlob(seed, (mebibytes * 1024 * 1024) / BLOCK_BYTES);
  }

  get size(): number {
    return this.blockCount * BLOCK_BYTES;
  }

  /** Streams blocks [firstBlock, firstBlock + count). */
  stream(firstBlock = 0, count = this.blockCount - firstBlock): Readable {
    const seed = this.seed;
    function* blocks(): Generator<Buffer> {
      for (let block = firstBlock; block < firstBlock + count; block++) yield generateBlock(seed, block);
    }
    return Readable.from(blocks(), { objectMode: false });
  }

  bytesOfBlocks(count: number): number {
    return count * BLOCK_BYTES;
  }

  digest(): string {
    const hash = createHash('sha256');
    for (let block = 0; block < this.blockCount; block++) hash.update(generateBlock(this.seed, block));
    return `sha256:${hash.digest('hex')}`;
  }
}

function generateBlock(seed: number, block: number): Buffer {
  const words = new Uint32Array(BLOCK_BYTES / 4);
  // xorshift32; never seeded with 0, which it would keep forever
  let state = ((seed * 2654435761) ^ (block + 1) * 40503) >>> 0 || 1;
  for (let index = 0; index < words.length; index++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    words[index] = state;
  }
  return Buffer.from(words.buffer);
}

/** A stream that delivers `prefix` and then fails, like a client that disconnects mid-chunk. */
export function failingStream(prefix: Buffer): Readable {
  async function* pieces(): AsyncGenerator<Buffer> {
    yield prefix;
    throw new Error('client went away');
  }
  return Readable.from(pieces(), { objectMode: false });
}
