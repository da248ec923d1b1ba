import type { BlobStore } from '../storage/blob-store.js';
import { storageSelfCheck } from '../storage/self-check.js';
import type { Storage } from '../storage/storage.js';
import { type HealthCheck, withinTimeout } from './check.js';

async function locationFailure(store: BlobStore, timeoutMs: number): Promise<string | undefined> {
  try {
    await withinTimeout(storageSelfCheck(store), timeoutMs, `storage location "${store.location}" (${store.driver})`);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * `storage`: a small blob makes the full round trip (upload, commit, read, delete) through every
 * configured location at once; the check fails naming each location that did not complete it.
 */
export function storageCheck(storage: Storage, timeoutMsPerLocation: number): HealthCheck {
  return {
    name: 'storage',
    // The locations run in parallel, each under its own timeout; this one only backs them up.
    timeoutMs: timeoutMsPerLocation + 1000,
    async run() {
      const failures = await Promise.all(storage.ordered.map((store) => locationFailure(store, timeoutMsPerLocation)));
      const failed = failures.filter((failure): failure is string => failure !== undefined);
      if (failed.length > 0) throw new Error(failed.join('; '));
    },
  };
}
