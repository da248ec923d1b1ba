import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { pipeline, Readable, type TransformCallback } from 'node:stream';
import { Invalid, NotFound } from '../../errors.js';
import type { BlobStore, ByteRange, UploadChunk, UploadState } from '../blob-store.js';
import { assertChunkIndex, assertRangeShape, assertSafeUploadId, blobContentPath, DriverParams } from '../params.js';
import { ByteCounter, ByteWindow, concatenateLazily } from '../streams.js';

export const S3_DRIVERS = ['S3Storage', 'RadosGWStorage', 'RHOCSStorage'] as const;
export type S3DriverName = (typeof S3_DRIVERS)[number];

/** The one shape every S3-compatible driver's Quay parameters are mapped into. */
export interface S3Options {
  bucket: string;
  /** storage_path without leading or trailing slashes; '' puts objects at the bucket root. */
  prefix: string;
  region: string;
  /** A custom endpoint (Ceph RGW, MinIO, NooBaa...); undefined means AWS itself. */
  endpoint: string | undefined;
  /** Static keys; undefined lets the SDK's default chain find credentials (IAM role, IRSA, env). */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
}

/** Parts of 8 MiB, two in flight: one chunk write holds about 24 MiB however large it is. */
const PART_SIZE = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;
/** CopyObject refuses sources above 5 GiB; larger single chunks are streamed instead. */
const MAX_COPY_BYTES = 5 * 1024 ** 3;
const PARALLEL_DELETES = 8;
const DEFAULT_REGION = 'us-east-1';

export function isS3Driver(driver: string): driver is S3DriverName {
  return (S3_DRIVERS as readonly string[]).includes(driver);
}

export function s3OptionsFromParams(location: string, driver: S3DriverName, params: Record<string, unknown>): S3Options {
  const reader = new DriverParams(location, driver, params);
  return driver === 'S3Storage' ? awsStyleOptions(reader) : radosStyleOptions(reader);
}

/** S3Storage: Quay's s3_* names; keys are optional so instance roles and IRSA work. */
function awsStyleOptions(reader: DriverParams): S3Options {
  const signatureVersion = reader.optionalString('signature_version');
  if (signatureVersion !== undefined && !/^(s3)?v4$/i.test(signatureVersion)) {
    throw reader.problem(`signature_version "${signatureVersion}" is not supported; only s3v4 signing is`);
  }
  const host = reader.optionalString('host');
  const endpoint = reader.optionalString('endpoint_url') ?? (host ? endpointUrl(host, reader.optionalPort('port'), true) : undefined);
  return {
    bucket: reader.requiredString('s3_bucket'),
    prefix: trimSlashes(reader.optionalString('storage_path') ?? ''),
    region: reader.optionalString('s3_region') ?? DEFAULT_REGION,
    endpoint,
    credentials: optionalCredentials(reader, 's3_access_key', 's3_secret_key', reader.optionalString('aws_session_token')),
  };
}

/** RadosGWStorage and RHOCSStorage (Ceph RGW, ODF/NooBaa, MinIO): always a custom endpoint and static keys. */
function radosStyleOptions(reader: DriverParams): S3Options {
  const secure = reader.optionalBoolean('is_secure') ?? true;
  return {
    bucket: reader.requiredString('bucket_name'),
    prefix: trimSlashes(reader.optionalString('storage_path') ?? ''),
    region: reader.optionalString('region_name') ?? DEFAULT_REGION,
    endpoint: endpointUrl(reader.requiredString('hostname'), reader.optionalPort('port'), secure),
    credentials: {
      accessKeyId: reader.requiredString('access_key'),
      secretAccessKey: reader.requiredString('secret_key'),
    },
  };
}

function optionalCredentials(
  reader: DriverParams,
  accessKeyName: string,
  secretKeyName: string,
  sessionToken: string | undefined,
): S3Options['credentials'] {
  const accessKeyId = reader.optionalString(accessKeyName);
  const secretAccessKey = reader.optionalString(secretKeyName);
  if (accessKeyId === undefined && secretAccessKey === undefined) return undefined;
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw reader.problem(`${accessKeyName} and ${secretKeyName} must be given together`);
  }
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/** Quay accepts a bare host name (plus port and is_secure) or, for host, a full URL. */
function endpointUrl(host: string, port: number | undefined, secure: boolean): string {
  const url = new URL(/^https?:\/\//i.test(host) ? host : `${secure ? 'https' : 'http'}://${host}`);
  if (port !== undefined) url.port = String(port);
  return url.origin;
}

function trimSlashes(text: string): string {
  return text.replace(/^\/+|\/+$/g, '');
}

export function createS3Client(options: S3Options): S3Client {
  const config: S3ClientConfig = {
    region: options.region,
    // Only AWS resolves virtual-hosted bucket names; custom endpoints are addressed by path.
    forcePathStyle: options.endpoint !== undefined,
    followRegionRedirects: options.endpoint === undefined,
    // Checksum trailers (aws-chunked bodies) are mis-stored or refused by many S3-compatible
    // servers; TLS and the registry's own digest check already cover integrity.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  return new S3Client(config);
}

/**
 * Blobs in an S3-compatible bucket. Each upload chunk is its own object
 * (`<prefix>/uploads/<uploadId>/<index>`); a commit publishes the final object in one atomic
 * operation (CopyObject, PutObject or CompleteMultipartUpload) and then deletes the chunks.
 */
export class S3CompatibleStorage implements BlobStore {
  readonly options: S3Options;
  private readonly client: S3Client;

  constructor(
    readonly location: string,
    readonly driver: S3DriverName,
    params: Record<string, unknown>,
  ) {
    this.options = s3OptionsFromParams(location, driver, params);
    this.client = createS3Client(this.options);
  }

  async stat(digest: string): Promise<number | null> {
    return this.objectSize(this.blobKey(digest));
  }

  async read(digest: string, range?: ByteRange): Promise<Readable> {
    if (range) assertRangeShape(range);
    const command = new GetObjectCommand({
      Bucket: this.options.bucket,
      Key: this.blobKey(digest),
      Range: range ? `bytes=${range.start}-${range.end}` : undefined,
    });
    try {
      const response = await this.client.send(command);
      const body = bodyStream(response.Body);
      return range ? exactlyTheRange(body, range, response.ContentRange) : body;
    } catch (err) {
      if (isMissingObject(err)) throw new NotFound('blob', `blob ${digest} is not in storage location ${this.location}`);
      if (httpStatusOf(err) === 416) throw new Invalid('range', `range ${range?.start}-${range?.end} is outside blob ${digest}`);
      throw err;
    }
  }

  async directDownloadUrl(digest: string, expiresInSeconds: number): Promise<string | null> {
    const command = new GetObjectCommand({ Bucket: this.options.bucket, Key: this.blobKey(digest) });
    return getSignedUrl(this.client, command, { expiresIn: expiresInSeconds });
  }

  async delete(digest: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: this.blobKey(digest) }));
  }

  async writeUploadChunk(chunk: UploadChunk, data: Readable): Promise<number> {
    assertSafeUploadId(chunk.uploadId);
    assertChunkIndex(chunk.index);
    const counter = new ByteCounter();
    data.on('error', (err) => counter.destroy(err));
    data.pipe(counter);
    try {
      // Same key for a retried index: the new object replaces the old one atomically.
      await this.uploadStream(this.chunkKey(chunk.uploadId, chunk.index), counter);
    } catch (err) {
      data.unpipe(counter);
      counter.destroy();
      throw err;
    }
    return counter.bytes;
  }

  async readUpload(upload: UploadState): Promise<Readable> {
    assertSafeUploadId(upload.uploadId);
    return concatenateLazily(upload.chunkCount, (index) => this.openChunk(upload.uploadId, index));
  }

  async commitUpload(upload: UploadState, digest: string): Promise<void> {
    assertSafeUploadId(upload.uploadId);
    const key = this.blobKey(digest);
    if ((await this.objectSize(key)) === null) {
      const chunkSizes = await this.listChunkSizes(upload.uploadId);
      this.assertChunksComplete(upload, chunkSizes);
      await this.publish(upload, key, chunkSizes);
    }
    // Content-addressed: when the blob already existed it holds these very bytes.
    await this.deleteUploadObjects(upload.uploadId);
  }

  async abortUpload(upload: UploadState): Promise<void> {
    assertSafeUploadId(upload.uploadId);
    await this.deleteUploadObjects(upload.uploadId);
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private async publish(upload: UploadState, key: string, chunkSizes: Map<number, number>): Promise<void> {
    const onlyChunkSize = upload.chunkCount === 1 ? chunkSizes.get(0) : undefined;
    if (upload.chunkCount === 0) {
      await this.client.send(new PutObjectCommand({ Bucket: this.options.bucket, Key: key, Body: Buffer.alloc(0) }));
    } else if (onlyChunkSize !== undefined && onlyChunkSize <= MAX_COPY_BYTES) {
      await this.copyObject(this.chunkKey(upload.uploadId, 0), key);
    } else {
      // A length check at the end of the stream fails the upload before its last part is sent,
      // so a chunk that reads short can never be published under the digest.
      const checked = new ExactLength(upload.totalBytes);
      // pipeline() destroys `checked` with any source error, which fails the upload.
      pipeline(await this.readUpload(upload), checked, () => {});
      try {
        await this.uploadStream(key, checked);
      } finally {
        // Releases the chunk being read when the upload stopped early; a no-op once it ended.
        checked.destroy();
      }
    }
  }

  private async uploadStream(key: string, body: Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.options.bucket, Key: key, Body: body },
      partSize: PART_SIZE,
      queueSize: PARTS_IN_FLIGHT,
    });
    await upload.done();
  }

  private async copyObject(sourceKey: string, targetKey: string): Promise<void> {
    const source = `${this.options.bucket}/${sourceKey}`.split('/').map(encodeURIComponent).join('/');
    await this.client.send(new CopyObjectCommand({ Bucket: this.options.bucket, Key: targetKey, CopySource: source }));
  }

  private async openChunk(uploadId: string, index: number): Promise<Readable> {
    const command = new GetObjectCommand({ Bucket: this.options.bucket, Key: this.chunkKey(uploadId, index) });
    try {
      return bodyStream((await this.client.send(command)).Body);
    } catch (err) {
      if (isMissingObject(err)) {
        throw new NotFound('upload', `chunk ${index} of upload ${uploadId} is not in storage location ${this.location}`);
      }
      throw err;
    }
  }

  private assertChunksComplete(upload: UploadState, chunkSizes: Map<number, number>): void {
    if (chunkSizes.size === 0 && upload.chunkCount > 0) {
      throw new NotFound('upload', `upload ${upload.uploadId} has no data in storage location ${this.location}`);
    }
    let total = 0;
    for (let index = 0; index < upload.chunkCount; index++) {
      const size = chunkSizes.get(index);
      if (size === undefined) throw new Invalid('upload', `chunk ${index} of upload ${upload.uploadId} is missing`);
      total += size;
    }
    if (total !== upload.totalBytes) {
      throw new Invalid('upload', `upload ${upload.uploadId} holds ${total} bytes, not the expected ${upload.totalBytes}`);
    }
  }

  private async objectSize(key: string): Promise<number | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return head.ContentLength ?? 0;
    } catch (err) {
      if (isMissingObject(err)) return null;
      throw err;
    }
  }

  private async listChunkSizes(uploadId: string): Promise<Map<number, number>> {
    const prefix = this.uploadPrefix(uploadId);
    const sizes = new Map<number, number>();
    for await (const object of this.listObjects(prefix)) {
      const name = object.key.slice(prefix.length);
      if (/^[0-9]+$/.test(name)) sizes.set(Number(name), object.size);
    }
    return sizes;
  }

  private async deleteUploadObjects(uploadId: string): Promise<void> {
    const keys: string[] = [];
    for await (const object of this.listObjects(this.uploadPrefix(uploadId))) keys.push(object.key);
    // Single deletes rather than DeleteObjects: that call needs a Content-MD5 or checksum header
    // that several S3-compatible servers disagree about, and sessions have few chunks.
    const workers = Array.from({ length: Math.min(PARALLEL_DELETES, keys.length) }, async () => {
      for (let key = keys.pop(); key !== undefined; key = keys.pop()) {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
      }
    });
    await Promise.all(workers);
  }

  private async *listObjects(prefix: string): AsyncGenerator<{ key: string; size: number }> {
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: prefix, ContinuationToken: continuationToken }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) yield { key: object.Key, size: object.Size ?? 0 };
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  private blobKey(digest: string): string {
    return this.key(blobContentPath(digest));
  }

  private uploadPrefix(uploadId: string): string {
    return this.key(`uploads/${uploadId}/`);
  }

  /** Zero-padded so that a listing returns chunks in upload order. */
  private chunkKey(uploadId: string, index: number): string {
    return `${this.uploadPrefix(uploadId)}${String(index).padStart(8, '0')}`;
  }

  private key(relative: string): string {
    return this.options.prefix ? `${this.options.prefix}/${relative}` : relative;
  }
}

/** Fails the stream at its end unless exactly `expected` bytes went through. */
class ExactLength extends ByteCounter {
  constructor(private readonly expected: number) {
    super();
  }

  override _flush(callback: TransformCallback): void {
    if (this.bytes === this.expected) callback();
    else callback(new Invalid('upload', `upload data is ${this.bytes} bytes long, not the expected ${this.expected}`));
  }
}

/**
 * Some S3-compatible servers answer a range with more than was asked (s3rver serves the whole
 * object for `bytes=0-0`) or ignore it; cut the body down to the requested bytes in that case.
 */
function exactlyTheRange(body: Readable, range: ByteRange, contentRange: string | undefined): Readable {
  const served = /^bytes (\d+)-(\d+)\//.exec(contentRange ?? '');
  const servedStart = served ? Number(served[1]) : 0;
  const servedEnd = served ? Number(served[2]) : Number.POSITIVE_INFINITY;
  if (servedStart === range.start && servedEnd <= range.end) return body;
  if (servedStart > range.start) {
    body.destroy();
    throw new Error(`the object store served bytes from ${servedStart} for a range starting at ${range.start}`);
  }
  const window = new ByteWindow(range.start - servedStart, range.end - range.start + 1);
  pipeline(body, window, () => {});
  return window;
}

function bodyStream(body: unknown): Readable {
  if (body instanceof Readable) return body;
  throw new Error('the object store returned a body that is not a Node.js stream');
}

/** A 404 for the object itself; a missing bucket is a configuration problem and stays an error. */
function isMissingObject(err: unknown): boolean {
  return httpStatusOf(err) === 404 && !(err instanceof Error && err.name === 'NoSuchBucket');
}

function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('$metadata' in err)) return undefined;
  const metadata = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return metadata?.httpStatusCode;
}
