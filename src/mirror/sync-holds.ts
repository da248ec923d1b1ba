import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { renewBlobHolds } from '../model/blobs.js';
import { renewManifestHolds } from '../model/manifests.js';

/**
 * Keeps what a sync stored from garbage collection until its tags move. Manifests are stored by
 * digest with a push hold (PUSH_TEMP_TAG_EXPIRATION_SEC) and blobs are linked with an upload or
 * mount hold until a manifest uses them; a sync longer than the hold would otherwise lose the
 * manifests it stored early, and a large image could lose its first blobs before its manifest is
 * stored. The sync renews every hold at least twice per hold period.
 */
export class SyncHolds {
  private readonly manifests = new Set<string>();
  /** Blobs of the tag being copied: once its manifests are stored, their links are permanent. */
  private blobs = new Set<string>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly repositoryId: number,
    private readonly holdMs: number,
  ) {}

  /** How often renewAll must run. */
  get renewalIntervalMs(): number {
    return Math.max(1000, Math.floor(this.holdMs / 2));
  }

  manifestStored(digest: string): void {
    this.manifests.add(digest);
  }

  blobHeld(digest: string): void {
    this.blobs.add(digest);
  }

  /** The tag's copy ended (stored, or failed): its blob links need no renewal any more. */
  tagDone(): void {
    this.blobs = new Set();
  }

  /**
   * Renews the hold of a manifest found already stored, so that garbage collection does not take
   * it before the tags move; false when it is gone meanwhile (the caller copies it again).
   */
  async renewStoredManifest(digest: string, now: number): Promise<boolean> {
    const renewed = await renewManifestHolds(this.db, this.repositoryId, [digest], now);
    if (!renewed.has(digest)) return false;
    this.manifests.add(digest);
    return true;
  }

  async renewAll(now: number): Promise<void> {
    await renewManifestHolds(this.db, this.repositoryId, [...this.manifests], now);
    await renewBlobHolds(this.db, this.repositoryId, [...this.blobs], now + this.holdMs, now);
  }
}
