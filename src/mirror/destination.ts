import type { Readable } from 'node:stream';
import type { ParsedManifest } from '../manifest/index.js';
import type { RemoteManifest } from './remote.js';

/**
 * Where a mirror sync writes: the MIRROR repository, either directly through the model and storage
 * (LocalDestination, the default) or through a registry's /v2/ as the mirror robot
 * (RegistryDestination, with REPO_MIRROR_SERVER_HOSTNAME). Manifests are stored by digest while
 * the sync copies; tags move only in applyTags, at the end.
 */

/** Why a tag could not move: garbage collection took its manifest between the copy and the move. */
export const MANIFEST_COLLECTED_BEFORE_MOVE = 'its manifest was garbage collected before the tags moved; the next sync copies it again';

export interface MirrorTagTarget {
  tag: string;
  /** The digest of the remote manifest the tag points at, already stored in the repository. */
  digest: string;
}

export interface AppliedTags {
  /** Tags now pointing at their remote manifest (including those that already did). */
  moved: string[];
  /** Live tags ended because the remote no longer has them or they no longer match. */
  removed: string[];
  /** Tags that could not be moved, with the reason; they keep their previous manifest. */
  failed: Array<{ tag: string; message: string }>;
}

export interface MirrorDestination {
  /** Whether the repository already holds the blob. */
  hasBlob(digest: string): Promise<boolean>;
  /** Links a blob a public repository of this registry holds (see mirrorMountSource); false when there is none. */
  mountBlob(digest: string): Promise<boolean>;
  /** Streams a blob into the repository; its digest and size are verified before it is kept. */
  writeBlob(digest: string, size: number, stream: Readable): Promise<void>;
  /** Whether the repository stores this manifest (and so, everything it references). */
  hasManifest(digest: string): Promise<boolean>;
  /** Stores a manifest by digest; its blobs and child manifests must be in the repository. */
  storeManifest(manifest: RemoteManifest, parsed: ParsedManifest): Promise<void>;
  /**
   * Moves `targets` and ends every other live tag not in `keep`, as the sync holding claim
   * `transactionId`; throws MirrorApplyRefused when that claim ended or the repository left MIRROR.
   */
  applyTags(targets: readonly MirrorTagTarget[], keep: readonly string[], transactionId: string): Promise<AppliedTags>;
  close(): Promise<void>;
}
