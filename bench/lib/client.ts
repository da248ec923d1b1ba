import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { type Dispatcher, Pool } from 'undici';
import { type BlobSpec, range } from './blobs.js';
import { clockTicks } from './procstat.js';

/**
 * The load generator's HTTP side: an undici Pool per server and scenario (keep-alive, one
 * request in flight per connection, as many connections as clients), and the few registry
 * operations the scenarios need. Every response is checked for the expected status; anything
 * else throws a RequestError that the scenario counts.
 */

export class RequestError extends Error {}

export class ErrorLog {
  count = 0;
  readonly samples: string[] = [];

  add(err: unknown): void {
    this.count++;
    if (this.samples.length < 5) this.samples.push(err instanceof Error ? err.message : String(err));
  }
}

export function openPool(origin: string, connections: number): Pool {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
}

export const OCTET = 'application/octet-stream';

type Body = Dispatcher.DispatchOptions['body'];

interface Call {
  method: Dispatcher.HttpMethod;
  path: string;
  headers?: Record<string, string>;
  body?: Body;
  expect: number;
}

/** Sends the request; on an unexpected status drains the body and throws. Returns the response. */
export async function send(pool: Pool, call: Call): Promise<Dispatcher.ResponseData> {
  const res = await pool.request({
    method: call.method,
    path: call.path,
    headers: call.headers ?? {},
    body: call.body ?? null,
  });
  if (res.statusCode !== call.expect) {
    const text = await res.body.text().catch(() => '');
    throw new RequestError(`${call.method} ${call.path.split('?')[0]} -> ${res.statusCode} (expected ${call.expect}) ${text.slice(0, 200)}`);
  }
  return res;
}

function headerValue(res: Dispatcher.ResponseData, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The path and query of a Location header (absolute or relative), with extra query params. */
export function locationPath(origin: string, location: string | undefined, query: Record<string, string> = {}): string {
  if (!location) throw new RequestError('response without a Location header');
  const url = new URL(location, origin);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url.pathname + url.search;
}

function withAuth(headers: Record<string, string>, authorization: string | undefined): Record<string, string> {
  if (authorization) headers['authorization'] = authorization;
  return headers;
}

/** Something that can be uploaded: its size, digest and a way to produce bytes [start, end). */
export interface Uploadable {
  size: number;
  digest: string;
  bytes(start: number, end: number): Iterable<Buffer>;
}

export function fromSpec(spec: BlobSpec): Uploadable {
  return { size: spec.size, digest: spec.digest, bytes: (start, end) => range(spec, start, end) };
}

export function fromBuffer(blob: { data: Buffer; digest: string; size: number }): Uploadable {
  return { size: blob.size, digest: blob.digest, bytes: (start, end) => [blob.data.subarray(start, end)] };
}

/** A byte stream over generated pieces: pulled as the socket drains, so memory stays small. */
function stream(pieces: Iterable<Buffer>): Readable {
  return Readable.from(pieces, { objectMode: false, highWaterMark: 2 * 1024 * 1024 });
}

async function startUpload(pool: Pool, repo: string, authorization: string | undefined): Promise<string> {
  const res = await send(pool, {
    method: 'POST',
    path: `/v2/${repo}/blobs/uploads/`,
    headers: withAuth({ 'content-length': '0' }, authorization),
    expect: 202,
  });
  await res.body.dump();
  return headerValue(res, 'location') ?? '';
}

/** POST, then PUT ?digest= with the whole blob as the body (streamed). */
export async function pushMonolithic(
  pool: Pool,
  origin: string,
  repo: string,
  blob: Uploadable,
  authorization: string | undefined,
): Promise<void> {
  const location = await startUpload(pool, repo, authorization);
  const res = await send(pool, {
    method: 'PUT',
    path: locationPath(origin, location, { digest: blob.digest }),
    headers: withAuth({ 'content-type': OCTET, 'content-length': String(blob.size) }, authorization),
    body: stream(blob.bytes(0, blob.size)),
    expect: 201,
  });
  await res.body.dump();
}

/** POST, PATCH chunks of `chunkSize` with Content-Range, then PUT ?digest= with no body. */
export async function pushChunked(
  pool: Pool,
  origin: string,
  repo: string,
  blob: Uploadable,
  chunkSize: number,
  authorization: string | undefined,
): Promise<void> {
  let location = await startUpload(pool, repo, authorization);
  for (let start = 0; start < blob.size; start += chunkSize) {
    const end = Math.min(blob.size, start + chunkSize);
    const res = await send(pool, {
      method: 'PATCH',
      path: locationPath(origin, location),
      headers: withAuth(
        { 'content-type': OCTET, 'content-length': String(end - start), 'content-range': `${start}-${end - 1}` },
        authorization,
      ),
      body: stream(blob.bytes(start, end)),
      expect: 202,
    });
    await res.body.dump();
    location = headerValue(res, 'location') ?? '';
  }
  const res = await send(pool, {
    method: 'PUT',
    path: locationPath(origin, location, { digest: blob.digest }),
    headers: withAuth({ 'content-length': '0' }, authorization),
    expect: 201,
  });
  await res.body.dump();
}

/**
 * GET through undici's low-level dispatch API: the body is counted chunk by chunk in a callback,
 * without a Readable stream in between, so that reading hundreds of MB/s costs the load generator
 * as little as possible (a stream and an async iterator per chunk cost more than the count).
 */
function countingGet(
  pool: Pool,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; bytes: number; text: string }> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let bytes = 0;
    let text = '';
    pool.dispatch(
      { method: 'GET', path, headers },
      {
        // The handler shape Pool.dispatch checks for (undici 7 validates onConnect and friends).
        onConnect() {},
        onHeaders(statusCode) {
          status = statusCode;
          return true;
        },
        onData(chunk) {
          bytes += chunk.length;
          if (status !== 200 && text.length < 300) text += chunk.toString('utf8', 0, 300);
          return true;
        },
        onComplete() {
          resolve({ status, bytes, text });
        },
        onError(error) {
          reject(error);
        },
      },
    );
  });
}

/** GET a blob, counting every byte; the status must be 200 and the length match. Returns the bytes read. */
export async function pullBlob(
  pool: Pool,
  repo: string,
  digest: string,
  size: number,
  authorization: string | undefined,
): Promise<number> {
  const path = `/v2/${repo}/blobs/${digest}`;
  const res = await countingGet(pool, path, withAuth({}, authorization));
  if (res.status !== 200) throw new RequestError(`GET ${path} -> ${res.status} (expected 200) ${res.text.slice(0, 200)}`);
  if (res.bytes !== size) throw new RequestError(`GET blob ${digest.slice(0, 19)}: read ${res.bytes} bytes, expected ${size}`);
  return res.bytes;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export async function putManifest(
  pool: Pool,
  repo: string,
  reference: string,
  bytes: Buffer,
  authorization: string | undefined,
): Promise<void> {
  const res = await send(pool, {
    method: 'PUT',
    path: `/v2/${repo}/manifests/${reference}`,
    headers: withAuth({ 'content-type': OCI_MANIFEST, 'content-length': String(bytes.length) }, authorization),
    body: bytes,
    expect: 201,
  });
  await res.body.dump();
}

/** GET a manifest (through the same low-level path as blobs); the body must have the expected length. */
export async function getManifest(
  pool: Pool,
  repo: string,
  reference: string,
  expectedLength: number,
  authorization: string | undefined,
): Promise<void> {
  const path = `/v2/${repo}/manifests/${reference}`;
  const res = await countingGet(pool, path, withAuth({ accept: OCI_MANIFEST }, authorization));
  if (res.status !== 200) throw new RequestError(`GET ${path} -> ${res.status} (expected 200) ${res.text.slice(0, 200)}`);
  if (res.bytes !== expectedLength) throw new RequestError(`GET manifest ${reference}: ${res.bytes} bytes, expected ${expectedLength}`);
}

// ---------------------------------------------------------------------------------------------
// load shapes

/**
 * Runs `fn` over the items with `concurrency` workers pulling from a shared queue, until the
 * queue is empty or the deadline passes (the rest is counted as errors). Failures are counted,
 * not thrown.
 */
export async function runQueue<T>(
  items: readonly T[],
  concurrency: number,
  deadline: number,
  errors: ErrorLog,
  fn: (item: T) => Promise<void>,
): Promise<number> {
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && Date.now() < deadline) {
      const item = items[next++]!;
      try {
        await fn(item);
        done++;
      } catch (err) {
        errors.add(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (next < items.length) errors.add(new RequestError(`deadline passed with ${items.length - next} operations not started`));
  return done;
}

/**
 * A closed loop: `concurrency` clients each send the next request as soon as the previous one
 * answered, for `durationMs`. Returns every successful request's latency in milliseconds.
 */
export async function runClosedLoop(
  durationMs: number,
  concurrency: number,
  errors: ErrorLog | null,
  fn: () => Promise<void>,
): Promise<number[]> {
  const latencies: number[] = [];
  const stopAt = performance.now() + durationMs;
  let consecutiveFailures = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      const started = performance.now();
      try {
        await fn();
        latencies.push(performance.now() - started);
        consecutiveFailures = 0;
      } catch (err) {
        errors?.add(err);
        // A dead server must not spin the loop at full speed for the whole duration.
        if (++consecutiveFailures > 1000) return;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** CPU seconds of this process's waited-for children (skopeo), from /proc/self/stat. */
export function childrenCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // cutime and cstime are fields 16 and 17; rest[0] is field 3.
    return (Number(rest[13]) + Number(rest[14])) / clockTicks();
  } catch {
    return 0;
  }
}
