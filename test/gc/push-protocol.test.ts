import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { collectBlobs } from '../../src/model/gc/blobs.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { imageConfigBlob, imageManifest, randomBlob } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { errorCodes, type RegistryClient } from '../helpers/http.js';
import type { TestRegistry } from '../helpers/registry.js';
import { blobRow, manifestRow, repositoryOf, startGcRegistry, stored, uniqueRepo } from './support.js';

/** Runs once right after a manifest PUT checked its blobs, before its transaction (set per test). */
const afterBlobCheck = vi.hoisted(() => ({ run: undefined as undefined | (() => Promise<void>) }));

vi.mock('../../src/model/blobs.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/model/blobs.js')>();
  return {
    ...original,
    findRepositoryBlobs: async (...args: Parameters<typeof original.findRepositoryBlobs>) => {
      const found = await original.findRepositoryBlobs(...args);
      const run = afterBlobCheck.run;
      afterBlobCheck.run = undefined;
      await run?.();
      return found;
    },
  };
});

/**
 * The push side of the push-vs-GC protocol, with GC placed exactly in the window each check guards
 * (docs/garbage-collection.md, "Push and GC running together").
 */
describe.each(testDialects())('pushes and garbage collection, step by step (%s)', (dialect) => {
  let registry: TestRegistry;
  let client: RegistryClient;

  beforeAll(async () => {
    ({ registry, client } = await startGcRegistry(dialect));
  });

  afterAll(async () => {
    await registry?.close();
  });

  /** Expires every link to the blob and collects it, as GC would once the hold ran out. */
  async function collectNow(digest: string): Promise<void> {
    const blob = await blobRow(registry, digest);
    if (!blob) return;
    await registry.ctx.db.updateTable('repository_blob').set({ expires_at: Date.now() - 1 }).where('blob_id', '=', blob.id).execute();
    await collectBlobs(registry.ctx, [blob.id]);
  }

  it('a blob collected after the manifest PUT checked it: MANIFEST_BLOB_UNKNOWN, nothing stored', async () => {
    const path = uniqueRepo('put-window');
    const layer = randomBlob(600);
    const config = imageConfigBlob('put-window');
    await client.pushBlob(path, layer);
    await client.pushBlob(path, config);
    const manifest = imageManifest({ config, layers: [layer] });
    afterBlobCheck.run = () => collectNow(layer.digest);

    const res = await client.putManifest(path, 'v1', manifest);

    expect(res.status, res.describe()).toBe(400);
    expect(errorCodes(res)).toEqual(['MANIFEST_BLOB_UNKNOWN']);
    expect(await manifestRow(registry, (await repositoryOf(registry, path)).id, manifest.digest)).toBeUndefined();
    expect(await blobRow(registry, layer.digest)).toBeUndefined();
    // The client uploads the blob again and the push goes through.
    await client.pushBlob(path, layer);
    expect((await client.putManifest(path, 'v1', manifest)).status).toBe(201);
  });

  it('bytes collected between the upload commit and its record: BLOB_UPLOAD_INVALID, nothing recorded', async () => {
    const path = uniqueRepo('upload-window');
    const blob = randomBlob(500);
    await client.pushBlob(path, blob);
    const store = registry.ctx.storage.preferred as BlobStore & { commitUpload: BlobStore['commitUpload'] };
    const commit = store.commitUpload;
    // The blob is garbage already (its link expired); GC deletes it right after the new upload committed.
    store.commitUpload = async (upload, digest) => {
      await commit.call(store, upload, digest);
      store.commitUpload = commit;
      await collectNow(digest);
    };
    try {
      const res = await client.uploadPostPut(path, blob);
      expect(res.status, res.describe()).toBe(400);
      expect(errorCodes(res)).toEqual(['BLOB_UPLOAD_INVALID']);
    } finally {
      store.commitUpload = commit;
    }
    expect(await blobRow(registry, blob.digest)).toBeUndefined();
    expect(await stored(registry, blob.digest)).toBe(false);
    // Uploading again works.
    expect((await client.uploadPostPut(path, blob)).status).toBe(201);
    expect(await stored(registry, blob.digest)).toBe(true);
  });
});
