import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { createStorage, storageSelfCheck } from '../../src/storage/index.js';
import { startS3rver, type TestS3Server } from '../helpers/s3rver.js';

let s3rver: TestS3Server;
let dir: string;

beforeAll(async () => {
  s3rver = await startS3rver();
  dir = await mkdtemp(path.join(tmpdir(), 'quayside-storage-index-'));
});
afterAll(async () => {
  await s3rver.stop();
  await rm(dir, { recursive: true, force: true });
});

function s3Location(bucket = s3rver.bucket): ['S3Storage', Record<string, unknown>] {
  return [
    'S3Storage',
    {
      s3_bucket: bucket,
      storage_path: '/registry',
      s3_access_key: s3rver.accessKeyId,
      s3_secret_key: s3rver.secretAccessKey,
      endpoint_url: s3rver.endpoint,
    },
  ];
}

describe('createStorage', () => {
  it('builds one store per location, preferred first, then the rest in config order', async () => {
    const storage = createStorage({
      locations: {
        local_eu: ['LocalStorage', { storage_path: path.join(dir, 'eu') }],
        s3_us: s3Location(),
        local_us: ['LocalStorage', { storage_path: path.join(dir, 'us') }],
      },
      preference: ['s3_us'],
      defaultLocations: ['s3_us'],
    });

    expect(storage.preferred.location).toBe('s3_us');
    expect(storage.preferred.driver).toBe('S3Storage');
    expect(storage.ordered.map((store) => store.location)).toEqual(['s3_us', 'local_eu', 'local_us']);
    expect(storage.location('local_us')?.driver).toBe('LocalStorage');
    expect(storage.location('nowhere')).toBeUndefined();
    await storage.close();
  });

  it('follows the preference order for every preferred location', async () => {
    const storage = createStorage({
      locations: {
        a: ['LocalStorage', { storage_path: path.join(dir, 'a') }],
        b: ['LocalStorage', { storage_path: path.join(dir, 'b') }],
        c: ['LocalStorage', { storage_path: path.join(dir, 'c') }],
      },
      preference: ['c', 'a'],
      defaultLocations: ['c'],
    });

    expect(storage.ordered.map((store) => store.location)).toEqual(['c', 'a', 'b']);
    expect(storage.preferred.location).toBe('c');
    await storage.close();
  });

  it('builds the embedded default location from a config with no storage keys', async () => {
    const config = loadConfig({ dataDir: dir, env: {} });

    const storage = createStorage(config.storage);

    expect(storage.preferred.driver).toBe('LocalStorage');
    await storageSelfCheck(storage.preferred);
    await storage.close();
  });

  it('rejects bad driver parameters with a ConfigError naming the location', () => {
    expect(() =>
      createStorage({
        locations: { ceph: ['RadosGWStorage', { hostname: 'rgw' }] },
        preference: ['ceph'],
        defaultLocations: ['ceph'],
      }),
    ).toThrow(ConfigError);
    expect(() =>
      createStorage({ locations: {}, preference: [], defaultLocations: [] }),
    ).toThrow(/at least one storage location/);
  });
});

describe('storageSelfCheck', () => {
  it('passes on LocalStorage and on S3Storage, leaving nothing behind', async () => {
    const storage = createStorage({
      locations: { local_us: ['LocalStorage', { storage_path: path.join(dir, 'check') }], s3_us: s3Location() },
      preference: ['local_us'],
      defaultLocations: ['local_us'],
    });

    for (const store of storage.ordered) await storageSelfCheck(store);

    expect(await readdir(path.join(dir, 'check', 'uploads'))).toEqual([]);
    await storage.close();
  });

  it('names the location, driver and step when the bucket does not exist', async () => {
    const storage = createStorage({
      locations: { s3_missing: s3Location('no-such-bucket') },
      preference: ['s3_missing'],
      defaultLocations: ['s3_missing'],
    });

    await expect(storageSelfCheck(storage.preferred)).rejects.toThrow(
      /storage location "s3_missing" \(S3Storage\) failed its self-check while writing an upload chunk/,
    );
    await storage.close();
  });

  it('names the location when a local storage_path cannot be written', async () => {
    const blocker = path.join(dir, 'not-a-directory');
    await writeFile(blocker, 'a file where the storage directory should be');
    const storage = createStorage({
      locations: { local_broken: ['LocalStorage', { storage_path: blocker }] },
      preference: ['local_broken'],
      defaultLocations: ['local_broken'],
    });

    await expect(storageSelfCheck(storage.preferred)).rejects.toThrow(/storage location "local_broken" \(LocalStorage\)/);
    await storage.close();
  });
});
