import type { BlobStore } from './blob-store.js';

/** Every configured storage location, in DISTRIBUTED_STORAGE_PREFERENCE order. */
export interface Storage {
  /** Where new uploads are written: the first preferred location. */
  readonly preferred: BlobStore;
  /** Preferred locations first, then the remaining configured ones. */
  readonly ordered: readonly BlobStore[];
  location(name: string): BlobStore | undefined;
  close(): Promise<void>;
}
