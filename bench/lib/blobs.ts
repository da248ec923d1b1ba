import { createHash, randomBytes } from 'node:crypto';

/**
 * Blob content for the load generator, produced on the fly so that a GiB never sits in memory.
 *
 * A blob is defined by a 16-byte random seed and a size. Its bytes are the run's random base
 * block (1 MiB, incompressible) repeated, with the seed and the piece's offset in place of the
 * first 24 bytes of every 1 MiB piece: different blobs therefore have different digests, and the
 * same (seed, offset) always gives the same bytes, so a range can be regenerated for a PATCH.
 * Digests are computed once, before the timed part of a scenario, so hashing on the client side
 * is not part of what is measured.
 */

export const PIECE = 1024 * 1024;
const STAMP = 24;

let base: Buffer | null = null;

function baseBlock(): Buffer {
  base ??= randomBytes(PIECE);
  return base;
}

export interface BlobSpec {
  seed: Buffer;
  size: number;
  digest: string;
}

function stampOf(seed: Buffer, pieceStart: number): Buffer {
  const stamp = Buffer.allocUnsafe(STAMP);
  seed.copy(stamp, 0, 0, 16);
  stamp.writeBigUInt64BE(BigInt(pieceStart), 16);
  return stamp;
}

/**
 * The bytes [start, end) of the blob, as Buffers: for each piece the 24-byte stamp (fresh) and a
 * view of the shared base block (never copied, never written to), so generating costs next to
 * nothing and the load generator's CPU goes to the HTTP traffic.
 */
export function* range(spec: Pick<BlobSpec, 'seed' | 'size'>, start: number, end: number): Generator<Buffer> {
  const block = baseBlock();
  const stop = Math.min(end, spec.size);
  let offset = Math.max(0, start);
  while (offset < stop) {
    const index = Math.floor(offset / PIECE);
    const pieceStart = index * PIECE;
    const pieceEnd = Math.min(pieceStart + PIECE, spec.size);
    const from = offset - pieceStart;
    const to = Math.min(pieceEnd, stop) - pieceStart;
    if (from < STAMP) {
      const stamp = stampOf(spec.seed, pieceStart);
      yield stamp.subarray(from, Math.min(STAMP, to));
    }
    if (to > STAMP) yield block.subarray(Math.max(STAMP, from), to);
    offset = pieceStart + to;
  }
}

/** `count` blobs of `size` bytes with fresh seeds, digests precomputed. */
export function makeBlobSet(count: number, size: number): BlobSpec[] {
  const specs: BlobSpec[] = [];
  for (let i = 0; i < count; i++) {
    const seed = randomBytes(16);
    const hash = createHash('sha256');
    for (const part of range({ seed, size }, 0, size)) hash.update(part);
    specs.push({ seed, size, digest: `sha256:${hash.digest('hex')}` });
  }
  return specs;
}

/** A small blob held in memory (configs, small layers), with its digest. */
export function memoryBlob(data: Buffer): { data: Buffer; digest: string; size: number } {
  return { data, digest: `sha256:${createHash('sha256').update(data).digest('hex')}`, size: data.length };
}

/** One core's sha256 throughput with node:crypto, in MB/s (10^6 bytes), over `totalBytes`. */
export function sha256Throughput(totalBytes: number): { mbPerSecond: number; bytes: number; seconds: number } {
  const block = randomBytes(PIECE);
  // Warm up (JIT, OpenSSL dispatch) before timing.
  createHash('sha256').update(block).digest();
  const hash = createHash('sha256');
  const started = process.hrtime.bigint();
  let done = 0;
  while (done < totalBytes) {
    hash.update(block);
    done += block.length;
  }
  hash.digest();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { mbPerSecond: done / 1e6 / seconds, bytes: done, seconds };
}
