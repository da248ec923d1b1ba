import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { AppContext } from '../context.js';
import { Invalid } from '../errors.js';
import type { ParsedManifest } from '../manifest/index.js';
import { findRepositoryBlob, linkBlobUnlessCollected } from '../model/blobs.js';
import { nowMs } from '../model/clock.js';
import { storePushedManifest } from '../model/manifest-push.js';
import { manifestExists } from '../model/manifests.js';
import { applyMirrorTags } from '../model/mirror-tags.js';
import type { RepositoryWithNamespace } from '../model/repositories.js';
import { appendChunk, cancelUpload, completeUpload, startUpload, type UploadDeps, uploadDeps } from '../model/uploads.js';
import { mirrorMountSource } from './blob-mount.js';
import { type AppliedTags, MANIFEST_COLLECTED_BEFORE_MOVE, type MirrorDestination, type MirrorTagTarget } from './destination.js';
import type { RemoteManifest } from './remote.js';

export type LocalDestinationDeps = Pick<AppContext, 'db' | 'storage' | 'config'>;

/**
 * Writes a mirror straight into this registry's database and storage: blobs stream through an
 * upload session (which verifies the digest), manifests are stored as a push stores them (quota,
 * labels), and the tags move in one transaction.
 */
export class LocalDestination implements MirrorDestination {
  private readonly uploads: UploadDeps;

  constructor(
    private readonly deps: LocalDestinationDeps,
    private readonly repo: RepositoryWithNamespace,
    private readonly log: Logger,
  ) {
    this.uploads = uploadDeps(deps);
  }

  async hasBlob(digest: string): Promise<boolean> {
    return (await findRepositoryBlob(this.deps.db, this.repo.id, digest)) !== undefined;
  }

  async mountBlob(digest: string): Promise<boolean> {
    const source = await mirrorMountSource(this.deps, this.repo.id, digest);
    return source !== undefined && linkBlobUnlessCollected(this.deps.db, this.repo.id, source.blob.id, this.holdUntil());
  }

  async writeBlob(digest: string, size: number, stream: Readable): Promise<void> {
    const upload = await startUpload(this.uploads, this.repo.id);
    try {
      const written = await appendChunk(this.uploads, upload, stream);
      // A remote that sent no Content-Length and ended early (or ran on) is caught here, before the digest.
      if (Number(written.byte_count) !== size) throw new Invalid('size', `received ${written.byte_count} bytes, but the manifest says ${size}`);
      await completeUpload(this.uploads, written, digest);
    } catch (err) {
      stream.destroy();
      // completeUpload discards a session whose digest did not match; others are discarded here.
      await cancelUpload(this.uploads, upload).catch(() => undefined);
      throw err;
    }
  }

  hasManifest(digest: string): Promise<boolean> {
    return manifestExists(this.deps.db, this.repo.id, digest);
  }

  async storeManifest(manifest: RemoteManifest, parsed: ParsedManifest): Promise<void> {
    await storePushedManifest(this.deps, this.repo, { reference: manifest.digest, bytes: manifest.bytes, parsed }, this.log);
  }

  async applyTags(targets: readonly MirrorTagTarget[], keep: readonly string[], transactionId: string): Promise<AppliedTags> {
    const changes = await applyMirrorTags(this.deps.db, this.repo.id, transactionId, targets, keep);
    return {
      moved: changes.moved,
      removed: changes.removed,
      failed: changes.vanished.map((tag) => ({
        tag,
        message: MANIFEST_COLLECTED_BEFORE_MOVE,
      })),
    };
  }

  async close(): Promise<void> {}

  private holdUntil(): number {
    return nowMs() + this.deps.config.PUSH_TEMP_TAG_EXPIRATION_SEC * 1000;
  }
}
