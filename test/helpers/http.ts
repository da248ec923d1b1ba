import type { Blob, BuiltManifest } from './blobs.js';

/**
 * A small fetch-based client for the /v2/ API, used by the conformance and resilience tests. It
 * never follows redirects (tests assert on what the registry answers) and always reads the whole
 * body, so a response can be inspected after the fact.
 */

export type Auth = { basic: { username: string; password: string } } | { bearer: string } | null;

export function basicAuth(username: string, password: string): Auth {
  return { basic: { username, password } };
}

export function authorizationHeader(auth: Auth): string | undefined {
  if (!auth) return undefined;
  if ('bearer' in auth) return `Bearer ${auth.bearer}`;
  const { username, password } = auth.basic;
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export interface RegistryResponse {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  body: Buffer;
  header(name: string): string | null;
  text(): string;
  /** Parses the body as JSON; throws with the raw text when it is not JSON. */
  json(): unknown;
  /** One line for failure messages: "PUT /v2/... -> 400 {...}". */
  describe(): string;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Overrides the client's credentials for this request (null: anonymous). */
  auth?: Auth;
  /** Aborts the request after this many milliseconds (default 30 s). */
  timeoutMs?: number;
}

export interface ErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

export interface ErrorBody {
  errors: ErrorEntry[];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The OCI error body of a response, or null when the body is not `{"errors":[{code,...}]}`. */
export function errorBody(res: RegistryResponse): ErrorBody | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body.toString('utf8'));
  } catch {
    return null;
  }
  if (!isRecord(parsed) || !Array.isArray(parsed['errors'])) return null;
  const errors: ErrorEntry[] = [];
  for (const entry of parsed['errors']) {
    if (!isRecord(entry) || typeof entry['code'] !== 'string') return null;
    const item: ErrorEntry = { code: entry['code'] };
    if (typeof entry['message'] === 'string') item.message = entry['message'];
    if ('detail' in entry) item.detail = entry['detail'];
    errors.push(item);
  }
  return { errors };
}

export function errorCodes(res: RegistryResponse): string[] {
  return errorBody(res)?.errors.map((e) => e.code) ?? [];
}

/** Parses `WWW-Authenticate: Bearer realm="...",service="...",scope="..."`. */
export function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } | null {
  if (!header) return null;
  const match = /^\s*(\S+)\s*(.*)$/.exec(header);
  if (!match) return null;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_]+)="([^"]*)"/g;
  for (let m = re.exec(match[2] ?? ''); m !== null; m = re.exec(match[2] ?? '')) params[m[1]!] = m[2]!;
  return { scheme: match[1]!, params };
}

/** Parses `Link: <url>; rel="next"`, returning the URL. */
export function nextLink(res: RegistryResponse): string | null {
  const link = res.header('link');
  if (!link) return null;
  const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return match ? match[1]! : null;
}

function truncate(text: string, max = 400): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export class RegistryClient {
  constructor(
    readonly baseUrl: string,
    readonly auth: Auth = null,
  ) {}

  /** The same registry with other credentials. */
  as(auth: Auth): RegistryClient {
    return new RegistryClient(this.baseUrl, auth);
  }

  get host(): string {
    return new URL(this.baseUrl).host;
  }

  /** Resolves a path or a (relative or absolute) Location header against the registry. */
  resolve(pathOrUrl: string): string {
    return new URL(pathOrUrl, this.baseUrl).toString();
  }

  /** Adds query parameters to a (possibly relative) URL that may already carry some. */
  withQuery(pathOrUrl: string, params: Record<string, string>): string {
    const url = new URL(pathOrUrl, this.baseUrl);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    return url.toString();
  }

  async request(method: string, pathOrUrl: string, options: RequestOptions = {}): Promise<RegistryResponse> {
    const url = this.resolve(pathOrUrl);
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    const authorization = authorizationHeader(options.auth === undefined ? this.auth : options.auth);
    if (authorization && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
      headers['Authorization'] = authorization;
    }
    const init: RequestInit = {
      method,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    };
    if (typeof options.body === 'string') init.body = options.body;
    else if (options.body !== undefined) init.body = new Uint8Array(options.body);
    const response = await fetch(url, init);
    const body = Buffer.from(await response.arrayBuffer());
    const path = new URL(url).pathname + new URL(url).search;
    return {
      method,
      url,
      status: response.status,
      headers: response.headers,
      body,
      header: (name) => response.headers.get(name),
      text: () => body.toString('utf8'),
      json: () => {
        const text = body.toString('utf8');
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new Error(`${method} ${path} -> ${response.status}: body is not JSON: ${truncate(text)}`);
        }
      },
      describe: () => `${method} ${path} -> ${response.status} ${truncate(body.toString('utf8'))}`,
    };
  }

  get(path: string, options?: RequestOptions): Promise<RegistryResponse> {
    return this.request('GET', path, options);
  }

  head(path: string, options?: RequestOptions): Promise<RegistryResponse> {
    return this.request('HEAD', path, options);
  }

  delete(path: string, options?: RequestOptions): Promise<RegistryResponse> {
    return this.request('DELETE', path, options);
  }

  // ---- token flow ----------------------------------------------------------------------------

  /** GET /v2/auth with the given scopes; returns the raw response. */
  tokenRequest(scopes: string[], auth: Auth = this.auth, service: string = this.host): Promise<RegistryResponse> {
    const url = new URL('/v2/auth', this.baseUrl);
    url.searchParams.set('service', service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    return this.get(url.toString(), { auth });
  }

  /** Fetches a registry token for the scopes; throws unless the registry returns one. */
  async token(scopes: string[], auth: Auth = this.auth): Promise<string> {
    const res = await this.tokenRequest(scopes, auth);
    if (res.status !== 200) throw new Error(`token request failed: ${res.describe()}`);
    const body = res.json();
    const token = isRecord(body) ? (body['token'] ?? body['access_token']) : undefined;
    if (typeof token !== 'string' || token.length === 0) throw new Error(`no token in ${res.describe()}`);
    return token;
  }

  /** A client that authenticates with a bearer token for the scopes. */
  async withToken(scopes: string[], auth: Auth = this.auth): Promise<RegistryClient> {
    return this.as({ bearer: await this.token(scopes, auth) });
  }

  // ---- blob uploads --------------------------------------------------------------------------

  /** POST /v2/<repo>/blobs/uploads/ with optional query (digest, mount, from) and body. */
  startUpload(repo: string, query: Record<string, string> = {}, body?: Buffer): Promise<RegistryResponse> {
    const url = this.withQuery(`/v2/${repo}/blobs/uploads/`, query);
    const options: RequestOptions = { body: body ?? Buffer.alloc(0) };
    if (body) options.headers = { 'Content-Type': 'application/octet-stream' };
    return this.request('POST', url, options);
  }

  /** The Location of a response, or an error describing the response. */
  location(res: RegistryResponse): string {
    const location = res.header('location');
    if (!location) throw new Error(`no Location header: ${res.describe()}`);
    return location;
  }

  /** PATCH one chunk; `start` is the offset of its first byte (Content-Range start-end, inclusive). */
  patchChunk(location: string, data: Buffer, start: number): Promise<RegistryResponse> {
    return this.request('PATCH', location, {
      body: data,
      headers: {
        'Content-Type': 'application/octet-stream',
        'Content-Range': `${start}-${start + data.length - 1}`,
      },
    });
  }

  /** PUT closing an upload, optionally with a final chunk starting at `start`. */
  closeUpload(location: string, digest: string, finalChunk?: Buffer, start?: number): Promise<RegistryResponse> {
    const url = this.withQuery(location, { digest });
    if (!finalChunk || finalChunk.length === 0) return this.request('PUT', url, { body: Buffer.alloc(0) });
    const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream' };
    if (start !== undefined) headers['Content-Range'] = `${start}-${start + finalChunk.length - 1}`;
    return this.request('PUT', url, { body: finalChunk, headers });
  }

  uploadStatus(location: string): Promise<RegistryResponse> {
    return this.get(location);
  }

  cancelUpload(location: string): Promise<RegistryResponse> {
    return this.request('DELETE', location, { body: Buffer.alloc(0) });
  }

  /** POST then PUT with the whole blob; returns the PUT response (the POST must answer 202). */
  async uploadPostPut(repo: string, blob: Blob, digest: string = blob.digest): Promise<RegistryResponse> {
    const post = await this.startUpload(repo);
    if (post.status !== 202) return post;
    const url = this.withQuery(this.location(post), { digest });
    return this.request('PUT', url, { body: blob.data, headers: { 'Content-Type': 'application/octet-stream' } });
  }

  /** The single-request monolithic upload: POST ?digest= with the body. */
  uploadSinglePost(repo: string, blob: Blob, digest: string = blob.digest): Promise<RegistryResponse> {
    return this.startUpload(repo, { digest }, blob.data);
  }

  /**
   * POST, PATCH chunks of `chunkSize`, then PUT ?digest=. With `finalInPut` the last chunk travels in
   * the PUT. Returns every response in order; stops at the first unexpected status.
   */
  async uploadChunked(
    repo: string,
    blob: Blob,
    chunkSize: number,
    options: { finalInPut?: boolean; digest?: string } = {},
  ): Promise<RegistryResponse[]> {
    const responses: RegistryResponse[] = [];
    const post = await this.startUpload(repo);
    responses.push(post);
    if (post.status !== 202) return responses;
    let location = this.location(post);
    const chunks: Array<{ start: number; data: Buffer }> = [];
    for (let start = 0; start < blob.size; start += chunkSize) {
      chunks.push({ start, data: blob.data.subarray(start, Math.min(start + chunkSize, blob.size)) });
    }
    const last = options.finalInPut ? chunks.pop() : undefined;
    for (const chunk of chunks) {
      const patch = await this.patchChunk(location, chunk.data, chunk.start);
      responses.push(patch);
      if (patch.status !== 202) return responses;
      location = this.location(patch);
    }
    responses.push(await this.closeUpload(location, options.digest ?? blob.digest, last?.data, last?.start));
    return responses;
  }

  /** Uploads a blob (POST+PUT) and throws unless the registry answers 201. For test setup. */
  async pushBlob(repo: string, blob: Blob): Promise<void> {
    const res = await this.uploadPostPut(repo, blob);
    if (res.status !== 201) throw new Error(`blob push failed: ${res.describe()}`);
  }

  // ---- manifests -----------------------------------------------------------------------------

  putManifest(
    repo: string,
    reference: string,
    manifest: Pick<BuiltManifest, 'bytes' | 'mediaType'>,
    contentType: string = manifest.mediaType,
  ): Promise<RegistryResponse> {
    return this.request('PUT', `/v2/${repo}/manifests/${reference}`, {
      body: manifest.bytes,
      headers: { 'Content-Type': contentType },
    });
  }

  getManifest(repo: string, reference: string, accept?: string): Promise<RegistryResponse> {
    return this.get(`/v2/${repo}/manifests/${reference}`, { headers: { Accept: accept ?? ACCEPT_ALL_MANIFESTS } });
  }

  headManifest(repo: string, reference: string, accept?: string): Promise<RegistryResponse> {
    return this.head(`/v2/${repo}/manifests/${reference}`, { headers: { Accept: accept ?? ACCEPT_ALL_MANIFESTS } });
  }

  /** Pushes every blob, then the manifest under `reference`; throws unless all succeed. For test setup. */
  async pushImage(
    repo: string,
    reference: string,
    image: { manifest: BuiltManifest; blobs: Blob[] },
  ): Promise<RegistryResponse> {
    const seen = new Set<string>();
    for (const blob of image.blobs) {
      if (seen.has(blob.digest)) continue;
      seen.add(blob.digest);
      await this.pushBlob(repo, blob);
    }
    const res = await this.putManifest(repo, reference, image.manifest);
    if (res.status !== 201) throw new Error(`manifest push failed: ${res.describe()}`);
    return res;
  }
}

export const ACCEPT_ALL_MANIFESTS = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

/** The status a GET of `path` (by default /v2/) answers with these basic-auth credentials. */
export async function v2Status(
  registry: { url: string },
  username: string,
  password: string,
  path = '/v2/',
): Promise<number> {
  return (await new RegistryClient(registry.url, basicAuth(username, password)).request('GET', path)).status;
}
