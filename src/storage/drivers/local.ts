import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Invalid, NotFound } from '../../errors.js';
import type { BlobStore, ByteRange, UploadChunk, UploadState } from '../blob-store.js';
import { assertChunkIndex, assertRangeShape, assertSafeUploadId, blobContentPath, DriverParams } from '../params.js';
import { asBuffer, isNodeError } from '../streams.js';

const WRITE_BATCH_BYTES = 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;
const MIN_READ_CHUNK_BYTES = 16 * 1024;

/**
 * Blobs on a local (or mounted) file system. Each upload session is one file under
 * `<storage_path>/uploads/`, written in place at each chunk's offset; a commit renames it into its
 * content path, which is atomic because both live on the same file system.
 */
export class LocalStorage implements BlobStore {
  readonly driver = 'LocalStorage';
  private readonly root: string;
  private readonly uploadsDir: string;

  constructor(
    readonly location: string,
    params: Record<string, unknown>,
  ) {
    const reader = new DriverParams(location, this.driver, params);
    const root = reader.requiredString('storage_path');
    if (!path.isAbsolute(root)) throw reader.problem('storage_path must be an absolute path');
    this.root = root;
    this.uploadsDir = path.join(root, 'uploads');
  }

  async stat(digest: string): Promise<number | null> {
    try {
      const info = await stat(this.blobPath(digest));
      return info.isFile() ? info.size : null;
    } catch (err) {
      if (isNodeError(err, 'ENOENT', 'ENOTDIR')) return null;
      throw err;
    }
  }

  async read(digest: string, range?: ByteRange): Promise<Readable> {
    if (range) assertRangeShape(range);
    const missing = () => new NotFound('blob', `blob ${digest} is not in storage location ${this.location}`);
    const handle = await openExisting(this.blobPath(digest), 'r');
    if (!handle) throw missing();
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw missing();
      if (range && range.start >= info.size) {
        throw new Invalid('range', `range ${range.start}-${range.end} starts beyond the blob's ${info.size} bytes`);
      }
      const bounds = range ? { start: range.start, end: range.end } : {};
      const length = range ? range.end - range.start + 1 : info.size;
      // Each read allocates a buffer of highWaterMark bytes: size it to the blob, within limits.
      const highWaterMark = Math.min(READ_CHUNK_BYTES, Math.max(MIN_READ_CHUNK_BYTES, length));
      return handle.createReadStream({ ...bounds, highWaterMark });
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async directDownloadUrl(): Promise<string | null> {
    return null;
  }

  async delete(digest: string): Promise<void> {
    await rm(this.blobPath(digest), { force: true });
  }

  async writeUploadChunk(chunk: UploadChunk, data: Readable): Promise<number> {
    assertSafeUploadId(chunk.uploadId);
    assertChunkIndex(chunk.index);
    if (!Number.isSafeInteger(chunk.offset) || chunk.offset < 0) {
      throw new Invalid('range', `not a valid chunk offset: ${chunk.offset}`);
    }
    await mkdir(this.uploadsDir, { recursive: true });
    // Neither truncating nor appending: a retried chunk must overwrite from its own offset.
    const handle = await open(this.uploadPath(chunk.uploadId), constants.O_WRONLY | constants.O_CREAT, 0o644);
    try {
      const { size } = await handle.stat();
      if (chunk.offset > size) {
        throw new Invalid('range', `chunk offset ${chunk.offset} is past the ${size} bytes upload ${chunk.uploadId} holds`);
      }
      const written = await writeStreamAt(handle, data, chunk.offset);
      await handle.truncate(chunk.offset + written);
      // No fsync here: commitUpload syncs before publishing, and checks the size it finds.
      return written;
    } finally {
      await handle.close();
    }
  }

  async readUpload(upload: UploadState): Promise<Readable> {
    assertSafeUploadId(upload.uploadId);
    if (upload.totalBytes === 0) return Readable.from([]);
    const handle = await openExisting(this.uploadPath(upload.uploadId), 'r');
    // Bytes past totalBytes can only be a chunk that was cut off by a crash and never acknowledged.
    if (handle) return handle.createReadStream({ start: 0, end: upload.totalBytes - 1 });
    throw new NotFound('upload', `upload ${upload.uploadId} has no data in storage location ${this.location}`);
  }

  async commitUpload(upload: UploadState, digest: string): Promise<void> {
    assertSafeUploadId(upload.uploadId);
    const target = this.blobPath(digest);
    const source = this.uploadPath(upload.uploadId);
    if ((await this.stat(digest)) !== null) {
      // Content-addressed: the blob already there holds these very bytes.
      await rm(source, { force: true });
      return;
    }
    await this.prepareUploadFile(upload, source);
    const targetDir = path.dirname(target);
    const firstCreated = await mkdir(targetDir, { recursive: true });
    try {
      await rename(source, target);
    } catch (err) {
      // A concurrent commit of the same session may have published it first.
      if (!(isNodeError(err, 'ENOENT') && (await this.stat(digest)) !== null)) throw err;
    }
    await syncDirectory(targetDir);
    if (firstCreated) await syncNewAncestors(firstCreated, targetDir);
  }

  async abortUpload(upload: UploadState): Promise<void> {
    assertSafeUploadId(upload.uploadId);
    await rm(this.uploadPath(upload.uploadId), { force: true });
  }

  async close(): Promise<void> {}

  /** Checks the session file holds exactly totalBytes and makes its contents durable before the rename. */
  private async prepareUploadFile(upload: UploadState, source: string): Promise<void> {
    let handle = await openExisting(source, 'r+');
    if (!handle) {
      if (upload.totalBytes > 0) {
        throw new NotFound('upload', `upload ${upload.uploadId} has no data in storage location ${this.location}`);
      }
      // An empty blob may be committed without a single chunk having been written.
      await mkdir(this.uploadsDir, { recursive: true });
      handle = await open(source, 'w');
    }
    try {
      const { size } = await handle.stat();
      if (size !== upload.totalBytes) {
        throw new Invalid('upload', `upload ${upload.uploadId} holds ${size} bytes, not the expected ${upload.totalBytes}`);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private blobPath(digest: string): string {
    return path.join(this.root, blobContentPath(digest));
  }

  private uploadPath(uploadId: string): string {
    return path.join(this.uploadsDir, uploadId);
  }
}

/** Writes every byte of `data` starting at `position`; on failure the partial chunk is cut off again. */
async function writeStreamAt(handle: FileHandle, data: Readable, position: number): Promise<number> {
  let written = 0;
  // Socket reads arrive in pieces of tens of KiB; gathering them saves a thread-pool round trip each.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    const buffers = pending;
    const bytes = pendingBytes;
    pending = [];
    pendingBytes = 0;
    await writeAllV(handle, buffers, bytes, position + written);
    written += bytes;
  };
  try {
    for await (const piece of data) {
      const buffer = asBuffer(piece);
      pending.push(buffer);
      pendingBytes += buffer.length;
      if (pendingBytes >= WRITE_BATCH_BYTES) await flush();
    }
    if (pendingBytes > 0) await flush();
  } catch (err) {
    await handle.truncate(position);
    throw err;
  }
  return written;
}

/** One vectored write for the gathered pieces (no copying them together); a short write finishes piecewise. */
async function writeAllV(handle: FileHandle, buffers: Buffer[], bytes: number, position: number): Promise<void> {
  const { bytesWritten } = await handle.writev(buffers, position);
  if (bytesWritten === bytes) return;
  const rest = Buffer.concat(buffers, bytes).subarray(bytesWritten);
  await writeFully(handle, rest, position + bytesWritten);
}

async function writeFully(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, done, buffer.length - done, position + done);
    done += bytesWritten;
  }
}

async function openExisting(file: string, flags: 'r' | 'r+'): Promise<FileHandle | null> {
  try {
    return await open(file, flags);
  } catch (err) {
    if (isNodeError(err, 'ENOENT', 'ENOTDIR')) return null;
    throw err;
  }
}

/** Makes a directory's entries (a rename into it, a new subdirectory) survive a crash. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // Some file systems cannot fsync a directory; the rename itself is still atomic there.
    if (!isNodeError(err, 'EINVAL', 'EISDIR', 'EPERM', 'ENOTSUP')) throw err;
  } finally {
    await handle.close();
  }
}

/** mkdir -p created `firstCreated` and everything below it down to `deepest`: sync their parents. */
async function syncNewAncestors(firstCreated: string, deepest: string): Promise<void> {
  let dir = path.dirname(deepest);
  const stop = path.dirname(firstCreated);
  while (dir.length >= stop.length) {
    await syncDirectory(dir);
    if (dir === stop) break;
    dir = path.dirname(dir);
  }
}
