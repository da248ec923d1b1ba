import type { Readable } from 'node:stream';
import { computeDigest, type DigestAlgorithm, digestProblem, isDigest } from '../manifest/digest.js';
import { MANIFEST_MEDIA_TYPES } from '../manifest/media-types.js';
import { REPOSITORY_NAME_COMPONENT } from '../model/repositories.js';
import { TAG_NAME } from '../model/tags.js';
import { repositoryScope } from './auth-challenge.js';
import { RegistrySession, responseHeader, type SessionResponse } from './registry-session.js';
import {
  type RemoteBlob,
  type RemoteEndpointOptions,
  type RemoteManifest,
  type RemotePushTarget,
  RemoteRegistryError,
  type RemoteRepository,
} from './remote.js';

/**
 * Our client of the OCI distribution API, for repository mirroring: reads a repository of another
 * registry (tags, manifests, blobs) and writes into a repository of the local one. Connections,
 * authentication and error mapping live in registry-session.ts.
 */

export interface ClientTuning {
  /** `n` of the tags API; the registry may answer fewer per page. */
  tagPageSize?: number;
}

const DEFAULT_TAG_PAGE_SIZE = 1000;
const MAX_TAG_PAGE_BYTES = 16 * 1024 * 1024;
const MAX_TAG_PAGES = 10_000;
/** More tags than any repository worth mirroring has; a list past it is refused rather than held in memory. */
export const MAX_REMOTE_TAGS = 100_000;

function checkRepository(repository: string): void {
  if (!repository.split('/').every((component) => REPOSITORY_NAME_COMPONENT.test(component))) {
    throw new RemoteRegistryError('invalid', `"${repository}" is not a valid repository name`);
  }
}

/** A digest we can verify content against: sha256 or sha512. */
function checkDigest(digest: string): void {
  const problem = digestProblem(digest);
  if (problem !== null) throw new RemoteRegistryError('invalid', `"${digest}" is not a valid digest: ${problem}`);
}

/** A sha256 digest a registry announced in Docker-Content-Digest, when it is a well-formed one: the only kind comparable with ours. */
function announcedSha256(res: SessionResponse): string | undefined {
  const value = responseHeader(res, 'docker-content-digest');
  return value?.startsWith('sha256:') && isDigest(value) ? value : undefined;
}

function checkReference(reference: string): void {
  if (reference.includes(':')) checkDigest(reference);
  else if (!TAG_NAME.test(reference)) throw new RemoteRegistryError('invalid', `"${reference}" is not a valid tag`);
}

/** The media type without parameters, lower case; undefined when absent. */
/** The JSON object `bytes` hold; anything else is refused with `invalid`'s error. */
function jsonObject(bytes: Buffer, invalid: (why: string) => Error): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw invalid('is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('is not a JSON object');
  return parsed as Record<string, unknown>;
}

function bareMediaType(contentType: string | undefined): string | undefined {
  const bare = contentType?.split(';')[0]?.trim().toLowerCase();
  return bare ? bare : undefined;
}

/** The `rel="next"` target of a Link header, e.g. `</v2/x/tags/list?last=b&n=2>; rel="next"`. */
function nextLink(link: string | string[] | undefined): string | undefined {
  for (const value of Array.isArray(link) ? link : link === undefined ? [] : [link]) {
    for (const part of value.split(/,(?=\s*<)/)) {
      const match = /^\s*<([^>]*)>(.*)$/.exec(part);
      if (match && /;\s*rel\s*=\s*"?(?:[^";]*\s)?next(?:\s[^";]*)?"?/i.test(match[2]!)) return match[1];
    }
  }
  return undefined;
}

abstract class RepositoryClient {
  protected readonly session: RegistrySession;

  constructor(
    options: RemoteEndpointOptions,
    protected readonly repository: string,
  ) {
    checkRepository(repository);
    this.session = new RegistrySession(options);
  }

  close(): Promise<void> {
    return this.session.close();
  }

  protected path(rest: string): string {
    return `/v2/${this.repository}/${rest}`;
  }

  /** The error for an answer that was not the expected one: 404 is not_found, anything else 'http'. */
  protected async unexpected(res: SessionResponse, what: string): Promise<RemoteRegistryError> {
    const detail = await this.session.statusDetail(res);
    if (res.status === 404) return new RemoteRegistryError('not_found', `${what} not found on ${this.session.host} (${detail})`);
    return new RemoteRegistryError('http', `${this.session.host} answered ${detail} for ${what}`);
  }
}

class PullClient extends RepositoryClient implements RemoteRepository {
  private readonly scopes: readonly string[];

  constructor(
    options: RemoteEndpointOptions,
    repository: string,
    private readonly tuning: ClientTuning,
  ) {
    super(options, repository);
    this.scopes = [repositoryScope(repository, 'pull')];
  }

  /** Every tag name that is a valid tag here (others cannot be mirrored and are left out), each once. */
  async listTags(): Promise<string[]> {
    const pageSize = this.tuning.tagPageSize ?? DEFAULT_TAG_PAGE_SIZE;
    const tags = new Set<string>();
    const seen = new Set<string>();
    let target: string | undefined = this.path(`tags/list?n=${pageSize}`);
    const origin = await this.session.origin();
    for (let page = 0; target !== undefined; page += 1) {
      if (page >= MAX_TAG_PAGES || seen.has(target)) throw new RemoteRegistryError('invalid', `the tag list of ${this.repository} on ${this.session.host} does not end`);
      seen.add(target);
      const res = await this.session.send({ method: 'GET', target, scopes: this.scopes, headers: { accept: 'application/json' } });
      if (res.status !== 200) throw await this.unexpected(res, `repository ${this.repository}`);
      const body = await this.session.readBody(res, MAX_TAG_PAGE_BYTES, `the tag list of ${this.repository}`);
      for (const tag of this.parseTagPage(body)) {
        if (TAG_NAME.test(tag)) tags.add(tag);
      }
      if (tags.size > MAX_REMOTE_TAGS) {
        throw new RemoteRegistryError('invalid', `${this.repository} on ${this.session.host} has more than ${MAX_REMOTE_TAGS} tags, more than a mirror takes`);
      }
      const next = nextLink(res.headers['link']);
      if (next === undefined) break;
      const nextUrl = new URL(next, res.url);
      if (nextUrl.origin !== origin.origin) {
        throw new RemoteRegistryError('invalid', `the tag list of ${this.repository} on ${this.session.host} links to another host`);
      }
      target = nextUrl.href;
    }
    return [...tags];
  }

  async getManifest(reference: string, maxBytes: number): Promise<RemoteManifest> {
    checkReference(reference);
    const what = `manifest ${reference} of ${this.repository}`;
    const res = await this.session.send({
      method: 'GET',
      target: this.path(`manifests/${reference}`),
      scopes: this.scopes,
      headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') },
    });
    if (res.status !== 200) throw await this.unexpected(res, what);
    const bytes = await this.session.readBody(res, maxBytes, what);
    const digest = computeDigest(bytes);
    const invalid = (why: string) => new RemoteRegistryError('invalid', `${what} from ${this.session.host} ${why}`);
    if (reference.includes(':') && reference !== digest) {
      const actual = computeDigest(bytes, reference.split(':')[0] as DigestAlgorithm);
      if (actual !== reference) throw invalid(`does not match its digest (the content hashes to ${actual})`);
    }
    const announced = announcedSha256(res);
    if (announced !== undefined && announced !== digest) {
      throw invalid(`does not match the Docker-Content-Digest ${announced} the registry sent (the content hashes to ${digest})`);
    }
    const declared = jsonObject(bytes, invalid).mediaType;
    const contentType = bareMediaType(responseHeader(res, 'content-type'));
    const mediaType = contentType !== undefined && MANIFEST_MEDIA_TYPES.includes(contentType) ? contentType : typeof declared === 'string' ? declared : contentType;
    if (mediaType === undefined || !MANIFEST_MEDIA_TYPES.includes(mediaType)) {
      throw invalid(`has the unsupported media type ${mediaType ?? '(none)'}; expected an OCI or Docker v2 manifest or index`);
    }
    return { digest, mediaType, bytes };
  }

  async openBlob(digest: string): Promise<RemoteBlob> {
    checkDigest(digest);
    const res = await this.session.send({ method: 'GET', target: this.path(`blobs/${digest}`), scopes: this.scopes, streaming: true });
    if (res.status !== 200) throw await this.unexpected(res, `blob ${digest} of ${this.repository}`);
    const header = responseHeader(res, 'content-length');
    const length = header === undefined ? Number.NaN : Number(header);
    return { size: Number.isSafeInteger(length) && length >= 0 ? length : null, stream: this.session.streamBody(res) };
  }

  private parseTagPage(body: Buffer): string[] {
    const invalid = (why: string) => new RemoteRegistryError('invalid', `the tag list of ${this.repository} from ${this.session.host} ${why}`);
    const { name, tags } = jsonObject(body, invalid);
    if (typeof name !== 'string') throw invalid('has no "name"');
    if (tags === null || tags === undefined) return [];
    if (!Array.isArray(tags) || !tags.every((tag): tag is string => typeof tag === 'string')) throw invalid('has a "tags" field that is not a list of strings');
    return tags;
  }
}

class PushClient extends RepositoryClient implements RemotePushTarget {
  private readonly scopes: readonly string[];

  constructor(options: RemoteEndpointOptions, repository: string) {
    super(options, repository);
    this.scopes = [repositoryScope(repository, 'pull,push')];
  }

  async hasBlob(digest: string): Promise<boolean> {
    checkDigest(digest);
    const res = await this.session.send({ method: 'HEAD', target: this.path(`blobs/${digest}`), scopes: this.scopes });
    if (res.status === 200) {
      await res.body.dump();
      return true;
    }
    if (res.status === 404) {
      await res.body.dump();
      return false;
    }
    throw await this.unexpected(res, `blob ${digest} of ${this.repository}`);
  }

  async mountBlob(digest: string, fromRepository: string): Promise<boolean> {
    checkDigest(digest);
    checkRepository(fromRepository);
    const query = new URLSearchParams({ mount: digest, from: fromRepository });
    const scopes = [...this.scopes, repositoryScope(fromRepository, 'pull')];
    const res = await this.session.send({ method: 'POST', target: this.path(`blobs/uploads/?${query}`), scopes, headers: { 'content-length': '0' } });
    if (res.status === 201) {
      await res.body.dump();
      return true;
    }
    if (res.status !== 202) throw await this.unexpected(res, `mounting blob ${digest} from ${fromRepository} into ${this.repository}`);
    await res.body.dump();
    // The registry started an upload instead; nothing will use it.
    const location = responseHeader(res, 'location');
    if (location !== undefined) {
      await this.session
        .send({ method: 'DELETE', target: location, scopes })
        .then((cancelled) => cancelled.body.dump())
        .catch(() => undefined);
    }
    return false;
  }

  async pushBlob(digest: string, size: number, stream: Readable): Promise<void> {
    checkDigest(digest);
    const what = `uploading blob ${digest} to ${this.repository}`;
    const started = await this.session.send({ method: 'POST', target: this.path('blobs/uploads/'), scopes: this.scopes, headers: { 'content-length': '0' } });
    if (started.status !== 202) throw await this.unexpected(started, what);
    await started.body.dump();
    const location = responseHeader(started, 'location');
    if (location === undefined) throw new RemoteRegistryError('http', `${this.session.host} started an upload without a Location (${what})`);
    const target = new URL(location, started.url);
    target.searchParams.set('digest', digest);
    let sourceError: unknown;
    const onSourceError = (err: unknown) => {
      sourceError ??= err;
    };
    stream.once('error', onSourceError);
    try {
      const res = await this.session.send({
        method: 'PUT',
        target: target.href,
        scopes: this.scopes,
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
        body: stream,
        streaming: true,
      });
      if (res.status !== 201 && res.status !== 204) throw await this.unexpected(res, what);
      await res.body.dump();
    } catch (err) {
      // A failing source (e.g. the remote blob being copied) is the cause worth reporting.
      throw sourceError ?? err;
    } finally {
      stream.off('error', onSourceError);
    }
  }

  async putManifest(reference: string, manifest: RemoteManifest): Promise<void> {
    checkReference(reference);
    const what = `pushing manifest ${reference} to ${this.repository}`;
    const res = await this.session.send({
      method: 'PUT',
      target: this.path(`manifests/${reference}`),
      scopes: this.scopes,
      headers: { 'content-type': manifest.mediaType },
      body: manifest.bytes,
    });
    if (res.status !== 201 && res.status !== 200 && res.status !== 204) throw await this.unexpected(res, what);
    await res.body.dump();
    const stored = announcedSha256(res);
    if (stored !== undefined && stored !== manifest.digest) {
      throw new RemoteRegistryError('invalid', `${this.session.host} stored ${what} as ${stored}, not ${manifest.digest}`);
    }
  }
}

/** Read access to `repository` on the registry of `options`. Nothing is contacted until the first call. */
export function openRemoteRepository(options: RemoteEndpointOptions, repository: string, tuning: ClientTuning = {}): RemoteRepository {
  return new PullClient(options, repository, tuning);
}

/** Write access to `repository` on the registry of `options` (the local registry, for the mirror's robot). */
export function openPushTarget(options: RemoteEndpointOptions, repository: string): RemotePushTarget {
  return new PushClient(options, repository);
}
