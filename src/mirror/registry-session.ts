import { PassThrough, Readable } from 'node:stream';
import { type Dispatcher, request } from 'undici';
import { type Challenge, parseAuthenticate, tokenFromResponse } from './auth-challenge.js';
import { OutboundDispatchers, type Route } from './http-dispatcher.js';
import { isValidHostHeader } from '../net/public-host.js';
import { type RemoteEndpointOptions, RemoteRegistryError } from './remote.js';
import { connectionFailure, isTlsProtocolError, ociErrorSummary } from './remote-errors.js';

/**
 * One client's conversation with a registry: which scheme it speaks (https, or plain http when TLS
 * verification is off and the server does not speak TLS, as skopeo's --tls-verify=false does), how it
 * authenticates (the challenge of GET /v2/: none, Basic with the mirror's credentials, or Bearer tokens
 * from the challenge's realm, cached per scope), timeouts, and the mapping of every failure to a
 * RemoteRegistryError. Credentials go only to the registry's own origin and to its token realm.
 */

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024;
const MAX_ERROR_BODY_BYTES = 4096;
const MAX_REDIRECTS = 5;

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

export interface SessionRequest {
  method: Method;
  /** A path on the registry (`/v2/…`) or an absolute URL (an upload location, a next page). */
  target: string;
  /** Token scopes the request needs, e.g. `repository:library/busybox:pull`. */
  scopes: readonly string[];
  headers?: Record<string, string>;
  /** A Readable is sent once: such a request is not retried after a 401. */
  body?: Buffer | Readable;
  /** A blob transfer: no overall deadline, only an idle timeout; GET follows redirects to storage. */
  streaming?: boolean;
}

export interface SessionResponse {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  body: Dispatcher.ResponseData['body'];
  /** Where the answer came from, after redirects. */
  url: URL;
}

/** The first value of a response header. */
export function responseHeader(res: Pick<SessionResponse, 'headers'>, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The Basic authorization of a username and password. */
function basicAuthorization(credentials: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

/** `pull library/busybox`, `push to library/busybox`, for messages. */
function describeAccess(scopes: readonly string[]): string {
  const first = /^repository:(.+):([a-z,]+)$/.exec(scopes[0] ?? '');
  if (!first) return 'access the repository';
  return first[2]!.includes('push') ? `push to ${first[1]}` : `pull ${first[1]}`;
}

export class RegistrySession {
  /** host[:port], as messages name the registry. */
  readonly host: string;
  private readonly dispatchers: OutboundDispatchers;
  private readonly timeoutMs: number;
  private originReady: Promise<URL> | undefined;
  private challenge: Challenge | undefined;
  private readonly tokens = new Map<string, string>();

  constructor(private readonly options: RemoteEndpointOptions) {
    this.host = options.registry;
    if (!isValidHostHeader(options.registry)) throw new RemoteRegistryError('invalid', `"${options.registry}" is not a registry host[:port]`);
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.dispatchers = new OutboundDispatchers(options);
  }

  /** The registry's origin once GET /v2/ answered: https://host, or http://host after the insecure fallback. */
  origin(): Promise<URL> {
    this.originReady ??= this.ping().catch((err: unknown) => {
      this.originReady = undefined;
      throw err;
    });
    return this.originReady;
  }

  async send(req: SessionRequest): Promise<SessionResponse> {
    const origin = await this.origin();
    let url = new URL(req.target, origin);
    const ownOrigin = () => url.origin === origin.origin;
    let authorization = ownOrigin() ? await this.authorization(req.scopes, false) : undefined;
    let res = await this.raw(url, req, authorization);
    if (res.status === 401 && ownOrigin() && !(req.body instanceof Readable)) {
      const challenge = parseAuthenticate(res.headers['www-authenticate']);
      if (challenge) {
        // A new challenge (the ping answered 200) or an expired token: authenticate afresh, once.
        this.challenge = challenge;
        const renewed = await this.authorization(req.scopes, true);
        if (renewed !== undefined) {
          await res.body.dump();
          authorization = renewed;
          res = await this.raw(url, req, authorization);
        }
      }
    }
    if (res.status === 401 || res.status === 403) throw await this.refused(res, req.scopes, authorization !== undefined);
    for (let hops = 0; req.streaming && req.method === 'GET' && [301, 302, 303, 307, 308].includes(res.status); hops += 1) {
      const location = responseHeader(res, 'location');
      await res.body.dump();
      if (!location || hops >= MAX_REDIRECTS) {
        throw new RemoteRegistryError('http', `${this.host} redirected ${hops >= MAX_REDIRECTS ? 'too often' : 'without a Location'}`);
      }
      url = new URL(location, url);
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RemoteRegistryError('invalid', `${this.host} redirected to a non-HTTP URL`);
      // Storage behind a redirect (often a signed URL on another host) never sees the registry's credentials.
      res = await this.raw(url, req, ownOrigin() ? authorization : undefined);
    }
    return res;
  }

  /** The body of an answer, refused ('invalid') beyond `maxBytes`; `what` names it in messages. */
  async readBody(res: SessionResponse, maxBytes: number, what: string): Promise<Buffer> {
    const tooLarge = () => new RemoteRegistryError('invalid', `${what} from ${this.host} is larger than the limit of ${maxBytes} bytes`);
    const announced = Number(responseHeader(res, 'content-length'));
    if (Number.isFinite(announced) && announced > maxBytes) {
      res.body.destroy();
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        total += chunk.length;
        if (total > maxBytes) {
          res.body.destroy();
          throw tooLarge();
        }
        chunks.push(chunk);
      }
    } catch (err) {
      throw connectionFailure(err, { host: res.url.host, timeoutSeconds: this.timeoutMs / 1000 });
    }
    return Buffer.concat(chunks);
  }

  /** The body as a stream whose errors are RemoteRegistryErrors. */
  streamBody(res: SessionResponse): Readable {
    const out = new PassThrough();
    const context = { host: res.url.host, timeoutSeconds: this.timeoutMs / 1000 };
    res.body.on('error', (err) => out.destroy(connectionFailure(err, context)));
    out.on('close', () => {
      if (!res.body.readableEnded) res.body.destroy();
    });
    res.body.pipe(out);
    return out;
  }

  /** `status` plus the remote's OCI error code and message when it sent one; consumes the body. */
  async statusDetail(res: SessionResponse): Promise<string> {
    let summary: string | undefined;
    try {
      summary = ociErrorSummary((await this.readBody(res, MAX_ERROR_BODY_BYTES, 'error')).toString('utf8'));
    } catch {
      summary = undefined;
    }
    return summary ? `${res.status}: ${summary}` : `${res.status}`;
  }

  async close(): Promise<void> {
    await this.dispatchers.close();
  }

  private async ping(): Promise<URL> {
    let origin = new URL(`https://${this.host}`);
    let res: SessionResponse;
    try {
      res = await this.raw(new URL('/v2/', origin), { method: 'GET', target: '/v2/', scopes: [] }, undefined);
    } catch (err) {
      if (this.options.verifyTls || !(err instanceof RemoteRegistryError) || !isTlsProtocolError(err.cause)) throw err;
      origin = new URL(`http://${this.host}`);
      res = await this.raw(new URL('/v2/', origin), { method: 'GET', target: '/v2/', scopes: [] }, undefined);
    }
    if (res.status === 401) {
      this.challenge = parseAuthenticate(res.headers['www-authenticate']);
    } else if (res.status < 200 || res.status > 299) {
      const detail = await this.statusDetail(res);
      throw new RemoteRegistryError('http', `${this.host} does not answer as a container registry (GET /v2/ returned ${detail})`);
    }
    await res.body.dump();
    return origin;
  }

  private async authorization(scopes: readonly string[], renew: boolean): Promise<string | undefined> {
    const challenge = this.challenge;
    const credentials = this.options.credentials;
    if (!challenge) return undefined;
    if (challenge.scheme === 'basic') {
      return credentials ? basicAuthorization(credentials) : undefined;
    }
    const key = scopes.join(' ');
    const cached = this.tokens.get(key);
    if (cached !== undefined && !renew) return `Bearer ${cached}`;
    const token = await this.fetchToken(challenge.realm, challenge.service, scopes);
    this.tokens.set(key, token);
    return `Bearer ${token}`;
  }

  private async fetchToken(realm: string, service: string | undefined, scopes: readonly string[]): Promise<string> {
    const url = new URL(realm);
    if (service !== undefined) url.searchParams.set('service', service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const credentials = this.options.credentials;
    const origin = await this.origin();
    if (credentials && url.protocol === 'http:' && origin.protocol === 'https:') {
      // Downgrading from HTTPS would send the credentials in the clear.
      throw new RemoteRegistryError(
        'invalid',
        `the token service of ${this.host} is plain HTTP (${url.host}) while the registry speaks HTTPS: refusing to send the credentials there`,
      );
    }
    const authorization = credentials ? basicAuthorization(credentials) : undefined;
    const res = await this.raw(url, { method: 'GET', target: url.href, scopes }, authorization);
    if (res.status === 401 || res.status === 403) throw await this.refused(res, scopes, credentials !== undefined, true);
    if (res.status !== 200) {
      throw new RemoteRegistryError('http', `the token service of ${this.host} (${url.host}) answered ${await this.statusDetail(res)}`);
    }
    const body = await this.readBody(res, MAX_TOKEN_RESPONSE_BYTES, 'the token response');
    let token: string | undefined;
    try {
      token = tokenFromResponse(JSON.parse(body.toString('utf8')));
    } catch {
      token = undefined;
    }
    if (token === undefined) throw new RemoteRegistryError('invalid', `the token service of ${this.host} (${url.host}) answered without a token`);
    return token;
  }

  /** The 'unauthorized' error for a 401 or 403, from the registry or its token service. */
  private async refused(res: SessionResponse, scopes: readonly string[], sentCredentials: boolean, fromTokenService = false): Promise<RemoteRegistryError> {
    await res.body.dump().catch(() => undefined);
    const user = this.options.credentials?.username;
    const status = res.status;
    let message: string;
    if (!user) message = `${this.host} requires credentials to ${describeAccess(scopes)} (${status})`;
    else if (fromTokenService || (status === 401 && this.challenge?.scheme !== 'bearer')) {
      message = `${this.host} refused the credentials for user ${user} (${status})`;
    } else if (!sentCredentials) message = `${this.host} requires credentials to ${describeAccess(scopes)} (${status})`;
    else message = `user ${user} may not ${describeAccess(scopes)} on ${this.host} (${status})`;
    return new RemoteRegistryError('unauthorized', message);
  }

  private async raw(url: URL, req: SessionRequest, authorization: string | undefined): Promise<SessionResponse> {
    let route: Route | undefined;
    try {
      route = this.dispatchers.route(url);
      const headers: Record<string, string> = {
        'user-agent': this.options.userAgent ?? 'quayside-mirror',
        ...req.headers,
        ...(authorization !== undefined && { authorization }),
      };
      const res = await request(url, {
        dispatcher: route.dispatcher,
        method: req.method,
        headers,
        ...(req.body !== undefined && { body: req.body }),
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        ...(!req.streaming && { signal: AbortSignal.timeout(this.timeoutMs) }),
      });
      return { status: res.statusCode, headers: res.headers, body: res.body, url };
    } catch (err) {
      throw connectionFailure(err, { host: url.host, via: route?.via, timeoutSeconds: this.timeoutMs / 1000 });
    }
  }
}
