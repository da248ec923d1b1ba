import type { Readable } from 'node:stream';

/**
 * Reads a stream to its end into one buffer, unless it grows past `limit` bytes: then the stream
 * is destroyed and the answer is undefined, so an oversized body is never held in memory.
 */
export async function readBounded(stream: Readable, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > limit) {
      stream.destroy();
      return undefined;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
