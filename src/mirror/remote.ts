import type { Readable } from 'node:stream';
import type { MirrorProxy } from '../model/repo-mirror.js';

/**
 * What the mirror needs from another registry: the contract between the sync (src/mirror/sync.ts)
 * and our registry client (src/mirror/registry-client.ts).
 */

/** Why a call to a remote registry failed, for the sync's status message and metrics. */
export type RemoteFailure =
  | 'unreachable' // DNS, connection refused or reset, timeout
  | 'tls' // handshake failed or the certificate was not trusted
  | 'unauthorized' // credentials missing or refused (401, 403 after auth)
  | 'not_found' // repository, tag, manifest or blob unknown (404)
  | 'refused' // SSRF policy: the address may not be reached from here
  | 'invalid' // the remote answered something malformed: bad manifest, digest mismatch, too large
  | 'http'; // any other unexpected status

export class RemoteRegistryError extends Error {
  constructor(
    readonly failure: RemoteFailure,
    message: string,
  ) {
    super(message);
    this.name = 'RemoteRegistryError';
  }
}

/** A registry reached over HTTP(S), with the settings of one mirror. */
export interface RemoteEndpointOptions {
  /** host[:port] of the registry. */
  registry: string;
  credentials?: { username: string; password: string } | undefined;
  /** false: accept any certificate, and fall back to plain HTTP when the server does not speak TLS. */
  verifyTls: boolean;
  /** Extra trusted CA certificates (PEM), e.g. from <config-dir>/extra_ca_certs/. */
  extraCaPems?: readonly string[];
  proxy?: MirrorProxy | undefined;
  /** SSRF_ALLOWED_HOSTS; other non-public addresses are refused. Undefined: no restriction (the local registry). */
  ssrfAllowedHosts?: readonly string[] | undefined;
  /** Per-request timeout for everything but blob bodies, which may take long. */
  requestTimeoutMs?: number;
  /** User-Agent header. */
  userAgent?: string;
}

export interface RemoteManifest {
  /** sha256 of exactly `bytes`. */
  digest: string;
  mediaType: string;
  bytes: Buffer;
}

export interface RemoteBlob {
  /** From Content-Length when the server sent one. */
  size: number | null;
  stream: Readable;
}

/** Read access to one repository of a remote registry. */
export interface RemoteRepository {
  /** Every tag, following the tags API's Link pagination. */
  listTags(): Promise<string[]>;
  /**
   * The manifest by tag or digest, accepting OCI and Docker manifests and indexes. A digest
   * reference is verified against the bytes; bodies over `maxBytes` are refused ('invalid').
   */
  getManifest(reference: string, maxBytes: number): Promise<RemoteManifest>;
  /** Streams a blob; the caller verifies its digest. */
  openBlob(digest: string): Promise<RemoteBlob>;
  close(): Promise<void>;
}

/** Write access to one repository of a registry (the local one, through REPO_MIRROR_SERVER_HOSTNAME). */
export interface RemotePushTarget {
  hasBlob(digest: string): Promise<boolean>;
  /** Cross-repository mount within the target registry; false when the registry started an upload instead. */
  mountBlob(digest: string, fromRepository: string): Promise<boolean>;
  /** Streams a blob as one monolithic upload (POST then PUT with the digest). */
  pushBlob(digest: string, size: number, stream: Readable): Promise<void>;
  putManifest(reference: string, manifest: RemoteManifest): Promise<void>;
  close(): Promise<void>;
}
