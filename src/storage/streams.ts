import { Readable, Transform, type TransformCallback } from 'node:stream';

/** Normalises whatever a Readable yields (Buffer, Uint8Array or string) to a Buffer. */
export function asBuffer(piece: unknown): Buffer {
  if (Buffer.isBuffer(piece)) return piece;
  if (piece instanceof Uint8Array) return Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
  if (typeof piece === 'string') return Buffer.from(piece);
  throw new TypeError(`unexpected stream chunk of type ${typeof piece}`);
}

/** Passes bytes through unchanged and counts them. */
export class ByteCounter extends Transform {
  bytes = 0;

  override _transform(piece: unknown, _encoding: BufferEncoding, callback: TransformCallback): void {
    const buffer = asBuffer(piece);
    this.bytes += buffer.length;
    callback(null, buffer);
  }
}

/**
 * One stream made of several, each opened only when the previous one has ended, so a long
 * concatenation holds a single source open at a time.
 */
export function concatenateLazily(count: number, open: (index: number) => Promise<Readable>): Readable {
  async function* pieces(): AsyncGenerator<Buffer> {
    for (let index = 0; index < count; index++) {
      const source = await open(index);
      for await (const piece of source) yield asBuffer(piece);
    }
  }
  return Readable.from(pieces(), { objectMode: false });
}

export function isNodeError(err: unknown, ...codes: string[]): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && codes.includes((err as NodeJS.ErrnoException).code!);
}

/** Drops the first `skip` bytes, passes the next `take` bytes, and drops whatever follows. */
export class ByteWindow extends Transform {
  constructor(
    private bytesToSkip: number,
    private bytesToKeep: number,
  ) {
    super();
  }

  override _transform(piece: unknown, _encoding: BufferEncoding, callback: TransformCallback): void {
    let buffer = asBuffer(piece);
    const skipped = Math.min(this.bytesToSkip, buffer.length);
    buffer = buffer.subarray(skipped);
    this.bytesToSkip -= skipped;
    const kept = buffer.subarray(0, this.bytesToKeep);
    this.bytesToKeep -= kept.length;
    callback(null, kept.length > 0 ? kept : undefined);
  }
}
