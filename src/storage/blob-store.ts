import type { Readable } from 'node:stream';

/** Inclusive byte range, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface UploadChunk {
  uploadId: string;
  /** 0-based chunk number within the session; a retried chunk reuses its number and replaces it. */
  index: number;
  /** Byte offset of this chunk's first byte within the upload. */
  offset: number;
}

export interface UploadState {
  uploadId: string;
  chunkCount: number;
  totalBytes: number;
}

/**
 * One storage location. Blobs are content-addressed by digest ("sha256:<hex>"). Upload sessions
 * are written chunk by chunk and become visible as a blob only through commitUpload, which is
 * atomic: a reader sees the whole blob or nothing.
 */
export interface BlobStore {
  /** The DISTRIBUTED_STORAGE_CONFIG key of this location. */
  readonly location: string;
  readonly driver: string;

  /** Size in bytes of the committed blob, or null if this location does not hold it. */
  stat(digest: string): Promise<number | null>;
  /** Streams a committed blob, whole or one inclusive range. Throws NotFound('blob') if absent. */
  read(digest: string, range?: ByteRange): Promise<Readable>;
  /** A time-limited URL the client may fetch directly, or null when the driver serves bytes itself. */
  directDownloadUrl(digest: string, expiresInSeconds: number): Promise<string | null>;
  /** Removes a committed blob; absent blobs are not an error. */
  delete(digest: string): Promise<void>;

  /** Stores one chunk of an upload; resolves to the bytes written. The stream is consumed fully. */
  writeUploadChunk(chunk: UploadChunk, data: Readable): Promise<number>;
  /** Streams every byte the upload holds so far, in order (used to re-hash on another replica). */
  readUpload(upload: UploadState): Promise<Readable>;
  /** Atomically publishes the upload as blob `digest` and removes the session's parts. Idempotent. */
  commitUpload(upload: UploadState, digest: string): Promise<void>;
  /** Discards an upload session's parts; missing parts are not an error. */
  abortUpload(upload: UploadState): Promise<void>;
  /** Releases clients and handles. */
  close(): Promise<void>;
}

/** Splits "sha256:abcdef…" into the content path used by every driver: sha256/ab/abcdef…. */
export function contentPath(digest: string): string {
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  if (colon <= 0 || !/^[a-z0-9]+$/.test(algorithm) || !/^[a-f0-9]{32,}$/.test(hex)) {
    throw new Error(`not a content digest: ${digest}`);
  }
  return `${algorithm}/${hex.slice(0, 2)}/${hex}`;
}
