import type { Readable } from 'node:stream';
import { DomainError } from '../errors.js';
import { type Descriptor, MAX_MANIFEST_BYTES, type ManifestPolicy, type ParsedManifest, parseManifest } from '../manifest/index.js';
import { nowMs } from '../model/clock.js';
import type { MirrorDestination } from './destination.js';
import { type RemoteManifest, type RemoteRepository, RemoteRegistryError } from './remote.js';
import type { SyncHolds } from './sync-holds.js';

/**
 * Copies one remote manifest, with everything it references, into the destination by digest:
 * child manifests of an index first, then blobs, then the manifest itself, so every step stores
 * something whose references are already there. Nothing here moves a tag.
 */

/** An index may list indexes (OCI allows it); deeper nesting than this is refused. */
const MAX_NESTING = 3;

/** The slowest transfer a blob may take, in bytes per second, before it counts as stalled. */
const MIN_BLOB_BYTES_PER_SECOND = 64 * 1024;

export interface CopyStats {
  /** Blobs streamed from the remote. */
  copied: number;
  /** Blobs linked from another repository of this registry. */
  mounted: number;
  /** Blobs the repository already held. */
  present: number;
  bytes: number;
}

export interface ManifestCopier {
  remote: RemoteRepository;
  destination: MirrorDestination;
  policy: ManifestPolicy;
  stats: CopyStats;
  /** What the copy stored, to keep from garbage collection until the tags move. */
  holds: SyncHolds;
  /** The mirror's request timeout; also the least time a blob is given. */
  requestTimeoutMs: number;
  /** Throws to stop the sync (cancelled, stopping, claim lost); called before every blob. */
  checkpoint(): Promise<void>;
}

function parseRemote(copier: ManifestCopier, manifest: RemoteManifest): ParsedManifest {
  try {
    return parseManifest(manifest.bytes, manifest.mediaType, copier.policy);
  } catch (err) {
    throw new RemoteRegistryError('invalid', `manifest ${manifest.digest}: ${(err as Error).message}`);
  }
}

/** A failed blob copy, named: the remote's fault (its failure kind; a digest or size mismatch is 'invalid') or ours. */
function blobFailure(digest: string, err: unknown): Error {
  const message = `blob ${digest}: ${err instanceof Error ? err.message : String(err)}`;
  if (err instanceof RemoteRegistryError) return new RemoteRegistryError(err.failure, message);
  if (err instanceof DomainError) return new RemoteRegistryError('invalid', message);
  return new Error(message, { cause: err });
}

/** How long a blob of `size` bytes may take: the request timeout, or longer at 64 KiB/s for a large one. */
function blobDeadlineMs(copier: ManifestCopier, size: number): number {
  return Math.max(copier.requestTimeoutMs, Math.ceil((size / MIN_BLOB_BYTES_PER_SECOND) * 1000));
}

async function streamBlob(copier: ManifestCopier, blob: Descriptor): Promise<void> {
  // A remote that trickles bytes never trips the idle timeout: a deadline per blob frees the worker.
  const deadlineMs = blobDeadlineMs(copier, blob.size);
  let stalled = false;
  let stream: Readable | undefined;
  const timer = setTimeout(() => {
    stalled = true;
    stream?.destroy();
  }, deadlineMs);
  try {
    const remote = await copier.remote.openBlob(blob.digest);
    stream = remote.stream;
    if (remote.size !== null && remote.size !== blob.size) {
      remote.stream.destroy();
      throw new RemoteRegistryError('invalid', `is ${remote.size} bytes, but the manifest says ${blob.size}`);
    }
    await copier.destination.writeBlob(blob.digest, blob.size, remote.stream);
  } catch (err) {
    if (stalled) throw new RemoteRegistryError('unreachable', `blob ${blob.digest} did not arrive within ${Math.round(deadlineMs / 1000)} s`);
    throw blobFailure(blob.digest, err);
  } finally {
    clearTimeout(timer);
  }
}

async function copyBlob(copier: ManifestCopier, blob: Descriptor): Promise<void> {
  await copier.checkpoint();
  const { destination, stats, holds } = copier;
  if (await destination.hasBlob(blob.digest)) {
    holds.blobHeld(blob.digest);
    stats.present++;
    return;
  }
  if (await destination.mountBlob(blob.digest)) {
    holds.blobHeld(blob.digest);
    stats.mounted++;
    return;
  }
  await streamBlob(copier, blob);
  holds.blobHeld(blob.digest);
  stats.copied++;
  stats.bytes += blob.size;
}

async function copyManifest(copier: ManifestCopier, manifest: RemoteManifest, depth: number): Promise<void> {
  const parsed = parseRemote(copier, manifest);
  // Stored before, with all it references: its hold is renewed (not stored again, which would check the quota again).
  if ((await copier.destination.hasManifest(manifest.digest)) && (await copier.holds.renewStoredManifest(manifest.digest, nowMs()))) {
    return;
  }
  if (parsed.children.length > 0 && depth >= MAX_NESTING) {
    throw new RemoteRegistryError('invalid', `manifest ${manifest.digest}: indexes nested more than ${MAX_NESTING} deep`);
  }
  for (const child of parsed.children) {
    const childManifest = await copier.remote.getManifest(child.digest, MAX_MANIFEST_BYTES);
    await copyManifest(copier, childManifest, depth + 1);
  }
  for (const blob of parsed.requiredBlobs) await copyBlob(copier, blob);
  await copier.destination.storeManifest(manifest, parsed);
  copier.holds.manifestStored(manifest.digest);
}

/** Copies the manifest `tag` names on the remote; returns its digest (stored, not tagged). */
export async function copyTaggedManifest(copier: ManifestCopier, tag: string): Promise<string> {
  try {
    const manifest = await copier.remote.getManifest(tag, MAX_MANIFEST_BYTES);
    await copyManifest(copier, manifest, 0);
    return manifest.digest;
  } finally {
    copier.holds.tagDone();
  }
}
