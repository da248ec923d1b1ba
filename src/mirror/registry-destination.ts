import type { Readable } from 'node:stream';
import type { AppContext } from '../context.js';
import { findManifestByDigest, manifestExists } from '../model/manifests.js';
import { applyMirrorTags } from '../model/mirror-tags.js';
import { formatRepositoryRef, type RepositoryWithNamespace } from '../model/repositories.js';
import { mirrorMountSource } from './blob-mount.js';
import { type AppliedTags, MANIFEST_COLLECTED_BEFORE_MOVE, type MirrorDestination, type MirrorTagTarget } from './destination.js';
import type { RemoteManifest, RemotePushTarget } from './remote.js';

export type RegistryDestinationDeps = Pick<AppContext, 'db' | 'config'>;

/**
 * Writes a mirror through a registry's /v2/ (REPO_MIRROR_SERVER_HOSTNAME) as the mirror robot, as
 * Quay does: the registry applies its own checks (quota, manifest policy, the mirror-robot rule).
 * Tags move by PUTting each manifest by tag at the end; tags the remote dropped are ended through
 * the model, as the registry's API has no call for "every tag but these".
 */
export class RegistryDestination implements MirrorDestination {
  constructor(
    private readonly deps: RegistryDestinationDeps,
    private readonly repo: RepositoryWithNamespace,
    private readonly target: RemotePushTarget,
  ) {}

  hasBlob(digest: string): Promise<boolean> {
    return this.target.hasBlob(digest);
  }

  async mountBlob(digest: string): Promise<boolean> {
    const source = await mirrorMountSource(this.deps, this.repo.id, digest);
    if (!source) return false;
    return this.target.mountBlob(digest, formatRepositoryRef({ namespace: source.repository.namespace_name, name: source.repository.name }));
  }

  writeBlob(digest: string, size: number, stream: Readable): Promise<void> {
    return this.target.pushBlob(digest, size, stream);
  }

  hasManifest(digest: string): Promise<boolean> {
    return manifestExists(this.deps.db, this.repo.id, digest);
  }

  async storeManifest(manifest: RemoteManifest): Promise<void> {
    await this.target.putManifest(manifest.digest, manifest);
  }

  async applyTags(targets: readonly MirrorTagTarget[], keep: readonly string[], transactionId: string): Promise<AppliedTags> {
    const applied: AppliedTags = { moved: [], removed: [], failed: [] };
    for (const { tag, digest } of targets) {
      const stored = await findManifestByDigest(this.deps.db, this.repo.id, digest);
      if (!stored) {
        applied.failed.push({ tag, message: MANIFEST_COLLECTED_BEFORE_MOVE });
        continue;
      }
      try {
        await this.target.putManifest(tag, { digest, mediaType: stored.mediaType, bytes: stored.content });
        applied.moved.push(tag);
      } catch (err) {
        applied.failed.push({ tag, message: `pushing the tag failed: ${(err as Error).message}` });
      }
    }
    const failed = applied.failed.map((f) => f.tag);
    const changes = await applyMirrorTags(this.deps.db, this.repo.id, transactionId, [], [...keep, ...applied.moved, ...failed]);
    applied.removed = changes.removed;
    return applied;
  }

  close(): Promise<void> {
    return this.target.close();
  }
}
