import { ConfigError, type StorageConfig } from '../config/load.js';
import type { StorageLocationConfig } from '../config/schema.js';
import type { BlobStore } from './blob-store.js';
import { LocalStorage } from './drivers/local.js';
import { isS3Driver, S3CompatibleStorage } from './drivers/s3.js';
import type { Storage } from './storage.js';

export type { BlobStore, ByteRange, UploadChunk, UploadState } from './blob-store.js';
export { contentPath } from './blob-store.js';
export { LocalStorage } from './drivers/local.js';
export { S3_DRIVERS, S3CompatibleStorage, type S3Options, s3OptionsFromParams } from './drivers/s3.js';
export { storageSelfCheck } from './self-check.js';
export type { Storage } from './storage.js';

/** Builds one BlobStore per DISTRIBUTED_STORAGE_CONFIG location. Throws ConfigError on bad parameters. */
export function createStorage(config: StorageConfig): Storage {
  const stores = new Map<string, BlobStore>();
  try {
    for (const [name, location] of Object.entries(config.locations)) stores.set(name, createBlobStore(name, location));
  } catch (err) {
    for (const store of stores.values()) void store.close();
    throw err;
  }
  const ordered = orderLocations(stores, config.preference);
  const preferred = ordered[0];
  if (!preferred) {
    throw new ConfigError([{ key: 'DISTRIBUTED_STORAGE_CONFIG', message: 'must define at least one storage location' }]);
  }
  return {
    preferred,
    ordered,
    location: (name) => stores.get(name),
    async close() {
      await Promise.all(ordered.map((store) => store.close()));
    },
  };
}

export function createBlobStore(name: string, [driver, params]: StorageLocationConfig): BlobStore {
  if (driver === 'LocalStorage') return new LocalStorage(name, params);
  if (isS3Driver(driver)) return new S3CompatibleStorage(name, driver, params);
  throw new ConfigError([{ key: 'DISTRIBUTED_STORAGE_CONFIG', message: `${name}: unknown storage driver ${String(driver)}` }]);
}

/** Preference order first, then every other configured location in config order. */
function orderLocations(stores: Map<string, BlobStore>, preference: readonly string[]): BlobStore[] {
  const names = [...new Set([...preference, ...stores.keys()])];
  return names.map((name) => stores.get(name)).filter((store): store is BlobStore => store !== undefined);
}
