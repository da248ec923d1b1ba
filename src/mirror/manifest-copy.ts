import { DomainError } from '../errors.js';
import { type Descriptor, MAX_MANIFEST_BYTES, type ManifestPolicy, type ParsedManifest, parseManifest } from '../manifest/index.js';
import type { MirrorDestination } from './destination.js';
import { type RemoteManifest, type RemoteRepository, RemoteRegistryError } from './remote.js';

/**
 * Copies one remote manifest, with everything it references, into the destination by digest:
 * child manifests of an index first, then blobs, then the manifest itself, so every step stores
 * something whose references are already there. Nothing here moves a tag.
 */

/** An index may list indexes (OCI allows it); deeper nesting than this is refused. */
const MAX_NESTING = 3;

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

async function copyBlob(copier: ManifestCopier, blob: Descriptor): Promise<void> {
  await copier.checkpoint();
  const { destination, stats } = copier;
  if (await destination.hasBlob(blob.digest)) {
    stats.present++;
    return;
  }
  if (await destination.mountBlob(blob.digest)) {
    stats.mounted++;
    return;
  }
  const remote = await copier.remote.openBlob(blob.digest);
  if (remote.size !== null && remote.size !== blob.size) {
    remote.stream.destroy();
    throw new RemoteRegistryError('invalid', `blob ${blob.digest} is ${remote.size} bytes, but the manifest says ${blob.size}`);
  }
  try {
    await destination.writeBlob(blob.digest, blob.size, remote.stream);
  } catch (err) {
    throw blobFailure(blob.digest, err);
  }
  stats.copied++;
  stats.bytes += blob.size;
}

async function copyManifest(copier: ManifestCopier, manifest: RemoteManifest, depth: number): Promise<void> {
  const parsed = parseRemote(copier, manifest);
  if (await copier.destination.hasManifest(manifest.digest)) {
    // Stored before, with all it references; storing it again keeps it from garbage collection until the tags move.
    await copier.destination.storeManifest(manifest, parsed);
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
}

/** Copies the manifest `tag` names on the remote; returns it (stored by digest, not tagged). */
export async function copyTaggedManifest(copier: ManifestCopier, tag: string): Promise<RemoteManifest> {
  const manifest = await copier.remote.getManifest(tag, MAX_MANIFEST_BYTES);
  await copyManifest(copier, manifest, 0);
  return manifest;
}
