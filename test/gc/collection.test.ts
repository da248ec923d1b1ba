import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { restoreTag } from '../../src/model/tag-history.js';
import { deleteTag, findLiveTag } from '../../src/model/tags.js';
import { artifactManifest, imageIndex, manifestDescriptor, randomBlob, randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import type { RegistryClient } from '../helpers/http.js';
import type { TestRegistry } from '../helpers/registry.js';
import {
  blobRow,
  collectAfter,
  manifestRow,
  PUSH_HOLD_S,
  repositoryOf,
  setTimeMachine,
  startGcRegistry,
  stored,
  tagRows,
  uniqueRepo,
} from './support.js';

const PAST_HOLD_MS = (PUSH_HOLD_S + 1) * 1000;

/** What the gc worker removes and what it keeps: tags, manifests and blobs (rules of docs/garbage-collection.md). */
describe.each(testDialects())('garbage collection (%s)', (dialect) => {
  let registry: TestRegistry;
  let client: RegistryClient;

  beforeAll(async () => {
    ({ registry, client } = await startGcRegistry(dialect));
  });

  afterAll(async () => {
    await registry?.close();
  });

  beforeEach(async () => {
    await setTimeMachine(registry, 0);
  });

  async function deleteTagOf(path: string, name: string): Promise<void> {
    await deleteTag(registry.ctx.db, (await repositoryOf(registry, path)).id, name);
  }

  it('removes a deleted tag once past the time machine, with its manifest, blob rows and stored bytes', async () => {
    const path = uniqueRepo('gone');
    const image = randomImage(2);
    const push = await client.pushImage(path, 'v1', image);
    const digest = push.header('docker-content-digest')!;
    const repo = await repositoryOf(registry, path);
    await deleteTagOf(path, 'v1');

    const report = await collectAfter(registry, PAST_HOLD_MS);

    expect(await tagRows(registry, repo.id, 'v1')).toEqual([]);
    expect(await manifestRow(registry, repo.id, digest)).toBeUndefined();
    for (const blob of image.blobs) {
      expect(await blobRow(registry, blob.digest)).toBeUndefined();
      expect(await stored(registry, blob.digest)).toBe(false);
    }
    expect(report.storageBlobsDeleted).toBeGreaterThanOrEqual(3);
    expect((await client.getManifest(path, digest)).status).toBe(404);
  });

  it('keeps a tag row inside the time machine window, so restore still works', async () => {
    await setTimeMachine(registry, 3600);
    const path = uniqueRepo('window');
    const first = randomImage(1);
    const firstDigest = (await client.pushImage(path, 'v1', first)).header('docker-content-digest')!;
    await client.pushImage(path, 'v1', randomImage(1));
    const repo = await repositoryOf(registry, path);

    await collectAfter(registry, PAST_HOLD_MS);

    expect(await manifestRow(registry, repo.id, firstDigest)).toBeDefined();
    expect(await stored(registry, first.blobs[1]!.digest)).toBe(true);
    await restoreTag(registry.ctx.db, repo, 'v1', firstDigest);
    expect((await findLiveTag(registry.ctx.db, repo.id, 'v1'))?.manifestDigest).toBe(firstDigest);
    const pulled = await client.get(`/v2/${path}/blobs/${first.blobs[1]!.digest}`);
    expect(pulled.body.equals(first.blobs[1]!.data)).toBe(true);
  });

  it('collects a tag row whose expiry passed the window, and not before', async () => {
    await setTimeMachine(registry, 600);
    const path = uniqueRepo('expired');
    const digest = (await client.pushImage(path, 'v1', randomImage(1))).header('docker-content-digest')!;
    const repo = await repositoryOf(registry, path);
    await registry.ctx.db
      .updateTable('tag')
      .set({ expires_at_ms: Date.now() - 1000 })
      .where('repository_id', '=', repo.id)
      .where('name', '=', 'v1')
      .execute();

    await collectAfter(registry, PAST_HOLD_MS);
    expect(await tagRows(registry, repo.id, 'v1')).toHaveLength(1);

    await collectAfter(registry, 601_000);
    expect(await tagRows(registry, repo.id, 'v1')).toEqual([]);
    expect(await manifestRow(registry, repo.id, digest)).toBeUndefined();
  });

  it('keeps the children of an index; once the index goes, its children go too', async () => {
    const path = uniqueRepo('index');
    const amd = randomImage(1);
    const arm = randomImage(1);
    await client.pushImage(path, amd.manifest.digest, amd);
    await client.pushImage(path, arm.manifest.digest, arm);
    const index = imageIndex({ manifests: [manifestDescriptor(amd.manifest), manifestDescriptor(arm.manifest)] });
    expect((await client.putManifest(path, 'multi', index)).status).toBe(201);
    const repo = await repositoryOf(registry, path);

    await collectAfter(registry, PAST_HOLD_MS);
    expect(await manifestRow(registry, repo.id, amd.manifest.digest)).toBeDefined();
    expect(await manifestRow(registry, repo.id, arm.manifest.digest)).toBeDefined();

    await deleteTagOf(path, 'multi');
    await collectAfter(registry, PAST_HOLD_MS);
    expect(await manifestRow(registry, repo.id, index.digest)).toBeUndefined();
    expect(await manifestRow(registry, repo.id, amd.manifest.digest)).toBeUndefined();
    expect(await manifestRow(registry, repo.id, arm.manifest.digest)).toBeUndefined();
    expect(await stored(registry, amd.blobs[1]!.digest)).toBe(false);
  });

  it('keeps a manifest pushed by digest for PUSH_TEMP_TAG_EXPIRATION_SEC, then collects it', async () => {
    const path = uniqueRepo('bydigest');
    const image = randomImage(1);
    await client.pushImage(path, image.manifest.digest, image);
    const repo = await repositoryOf(registry, path);

    await collectAfter(registry, (PUSH_HOLD_S - 10) * 1000);
    expect(await manifestRow(registry, repo.id, image.manifest.digest)).toBeDefined();

    await collectAfter(registry, PAST_HOLD_MS);
    expect(await manifestRow(registry, repo.id, image.manifest.digest)).toBeUndefined();
    expect(await blobRow(registry, image.blobs[1]!.digest)).toBeUndefined();
  });

  it('collects a referrer together with its subject', async () => {
    const path = uniqueRepo('referrer');
    const image = randomImage(1);
    await client.pushImage(path, 'signed', image);
    const signature = artifactManifest({ artifactType: 'application/vnd.example.signature', subject: manifestDescriptor(image.manifest) });
    await client.pushImage(path, signature.manifest.digest, signature);
    const repo = await repositoryOf(registry, path);

    await collectAfter(registry, PAST_HOLD_MS);
    expect(await manifestRow(registry, repo.id, signature.manifest.digest)).toBeDefined();

    await deleteTagOf(path, 'signed');
    await collectAfter(registry, PAST_HOLD_MS);
    expect(await manifestRow(registry, repo.id, image.manifest.digest)).toBeUndefined();
    expect(await manifestRow(registry, repo.id, signature.manifest.digest)).toBeUndefined();
    expect(await blobRow(registry, signature.blobs[1]!.digest)).toBeUndefined();
  });

  it('keeps a blob another repository still uses, and only that repository serves it', async () => {
    const first = uniqueRepo('shared-a');
    const second = uniqueRepo('shared-b');
    const image = randomImage(2);
    await client.pushImage(first, 'v1', image);
    await client.pushImage(second, 'v1', image);
    await deleteTagOf(first, 'v1');

    await collectAfter(registry, PAST_HOLD_MS);

    const layer = image.blobs[1]!;
    expect(await manifestRow(registry, (await repositoryOf(registry, first)).id, image.manifest.digest)).toBeUndefined();
    expect(await blobRow(registry, layer.digest)).toBeDefined();
    expect(await stored(registry, layer.digest)).toBe(true);
    const pulled = await client.get(`/v2/${second}/blobs/${layer.digest}`);
    expect(pulled.status).toBe(200);
    expect(pulled.body.equals(layer.data)).toBe(true);
    expect((await client.get(`/v2/${first}/blobs/${layer.digest}`)).status).toBe(404);
  });

  it('keeps an uploaded blob while its link is live and collects it once the link expired', async () => {
    const path = uniqueRepo('upload');
    const blob = randomBlob(700);
    await client.pushBlob(path, blob);

    await collectAfter(registry, (PUSH_HOLD_S - 10) * 1000);
    expect(await blobRow(registry, blob.digest)).toBeDefined();
    expect(await stored(registry, blob.digest)).toBe(true);

    const report = await collectAfter(registry, PAST_HOLD_MS);
    expect(await blobRow(registry, blob.digest)).toBeUndefined();
    expect(await stored(registry, blob.digest)).toBe(false);
    expect(report.rowsDeleted.repository_blob).toBeGreaterThanOrEqual(1);
    const links = await registry.ctx.db
      .selectFrom('repository_blob')
      .select('blob_id')
      .where('repository_id', '=', (await repositoryOf(registry, path)).id)
      .execute();
    expect(links).toEqual([]);
  });

  it('never deletes stored bytes a usage-log export shares', async () => {
    const path = uniqueRepo('export');
    const blob = randomBlob(300);
    await client.pushBlob(path, blob);
    const now = Date.now();
    await registry.ctx.db
      .insertInto('log_export')
      .values({
        export_id: `gc-${blob.digest.slice(7, 19)}`,
        file_id: `gc-file-${blob.digest.slice(7, 19)}`,
        location: registry.ctx.storage.preferred.location,
        digest: blob.digest,
        size: blob.size,
        created_at: now,
        expires_at: now + 3_600_000,
      })
      .execute();

    await collectAfter(registry, PAST_HOLD_MS);

    expect(await blobRow(registry, blob.digest)).toBeUndefined();
    expect(await stored(registry, blob.digest)).toBe(true);
  });
});
