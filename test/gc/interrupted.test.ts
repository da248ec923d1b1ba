import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.js';
import { NotFound } from '../../src/errors.js';
import { SILENT_OBSERVER } from '../../src/model/gc/purge-chunks.js';
import { purgeRepository } from '../../src/model/gc/purge-repository.js';
import { repositoriesWithUntaggedManifests } from '../../src/model/gc/repository-garbage.js';
import { findAvailableManifest } from '../../src/model/manifests.js';
import { markRepositoryForDeletion } from '../../src/model/repository-admin.js';
import { retargetTag } from '../../src/model/tag-history.js';
import { deleteTag } from '../../src/model/tags.js';
import { contentPath, LocalStorage, type Storage } from '../../src/storage/index.js';
import { randomBlob, randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import type { RegistryClient } from '../helpers/http.js';
import type { TestRegistry } from '../helpers/registry.js';
import { blobRow, collectAfter, PUSH_HOLD_S, repositoryOf, setTimeMachine, startGcRegistry, stored, uniqueRepo } from './support.js';

const PAST_HOLD_MS = (PUSH_HOLD_S + 1) * 1000;

/**
 * What an interrupted or failing collection leaves behind is collected later: links of manifests
 * deleted without their blob pass, blobs a storage location would not delete, repository purges
 * whose blobs failed or whose queue item was given up. And a tag move never points at a manifest
 * GC removed.
 */
describe.each(testDialects())('interrupted garbage collection (%s)', (dialect) => {
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

  function withConfig(changes: Partial<AppContext['config']>): AppContext {
    return { ...registry.ctx, config: { ...registry.ctx.config, ...changes } };
  }

  /** Deletes a manifest's rows the way a collection does, then stops before its blobs (a crash, a skip). */
  async function deleteManifestRowsOnly(repositoryId: number, digest: string): Promise<void> {
    const { db } = registry.ctx;
    const manifest = await db
      .selectFrom('manifest')
      .select('id')
      .where('repository_id', '=', repositoryId)
      .where('digest', '=', digest)
      .executeTakeFirstOrThrow();
    await db.deleteFrom('tag').where('manifest_id', '=', manifest.id).execute();
    await db.deleteFrom('manifest_label').where('manifest_id', '=', manifest.id).execute();
    await db.deleteFrom('manifest_blob').where('manifest_id', '=', manifest.id).execute();
    await db.deleteFrom('manifest_child').where('manifest_id', '=', manifest.id).execute();
    await db.deleteFrom('manifest').where('id', '=', manifest.id).execute();
  }

  async function linksOf(repositoryId: number): Promise<number[]> {
    const rows = await registry.ctx.db.selectFrom('repository_blob').select('blob_id').where('repository_id', '=', repositoryId).execute();
    return rows.map((r) => r.blob_id);
  }

  async function placementsOf(blobId: number): Promise<string[]> {
    const rows = await registry.ctx.db.selectFrom('blob_placement').select('location').where('blob_id', '=', blobId).execute();
    return rows.map((r) => r.location).sort();
  }

  /** Where LocalStorage at `root` keeps the blob. */
  function blobFile(root: string, digest: string): string {
    return path.join(root, contentPath(digest));
  }

  /** Makes deleting the blob's bytes fail: a directory with content where the file would be. */
  async function blockDelete(root: string, digest: string): Promise<void> {
    const file = blobFile(root, digest);
    await rm(file, { force: true });
    await mkdir(file, { recursive: true });
    await writeFile(path.join(file, 'keep'), 'x');
  }

  async function unblock(root: string, digest: string): Promise<void> {
    await rm(blobFile(root, digest), { recursive: true, force: true });
  }

  const preferredRoot = () => path.join(registry.dataDir, 'storage');

  it('collects the blobs of a manifest deleted without its blob pass', async () => {
    const path_ = uniqueRepo('interrupted');
    const image = randomImage(2);
    const digest = (await client.pushImage(path_, 'v1', image)).header('docker-content-digest')!;
    const repo = await repositoryOf(registry, path_);
    await deleteManifestRowsOnly(repo.id, digest);

    await collectAfter(registry, PAST_HOLD_MS);

    for (const blob of image.blobs) {
      expect(await blobRow(registry, blob.digest)).toBeUndefined();
      expect(await stored(registry, blob.digest)).toBe(false);
    }
    expect(await linksOf(repo.id)).toEqual([]);
  });

  it('drops the stale link of such a manifest but keeps the blob another repository uses', async () => {
    const first = uniqueRepo('stale-a');
    const second = uniqueRepo('stale-b');
    const image = randomImage(1);
    const digest = (await client.pushImage(first, 'v1', image)).header('docker-content-digest')!;
    await client.pushImage(second, 'v1', image);
    const firstRepo = await repositoryOf(registry, first);
    await deleteManifestRowsOnly(firstRepo.id, digest);

    await collectAfter(registry, PAST_HOLD_MS);

    const layer = image.blobs[1]!;
    expect(await linksOf(firstRepo.id)).toEqual([]);
    expect(await stored(registry, layer.digest)).toBe(true);
    expect((await client.get(`/v2/${first}/blobs/${layer.digest}`)).status).toBe(404);
    expect((await client.get(`/v2/${second}/blobs/${layer.digest}`)).status).toBe(200);
  });

  it('deletes a blob from the locations that answer, keeps the placement that failed, and finishes once it is repaired', async () => {
    const secondRoot = path.join(registry.dataDir, `second-${randomBytes(3).toString('hex')}`);
    const second = new LocalStorage('second', { storage_path: secondRoot });
    const preferred = registry.ctx.storage.preferred;
    const storage: Storage = {
      preferred,
      ordered: [preferred, second],
      location: (name) => (name === 'second' ? second : registry.ctx.storage.location(name)),
      close: async () => {},
    };
    const ctx: AppContext = { ...registry.ctx, storage };
    const blob = randomBlob(500);
    await client.pushBlob(uniqueRepo('two-places'), blob);
    const row = (await blobRow(registry, blob.digest))!;
    await registry.ctx.db.insertInto('blob_placement').values({ blob_id: row.id, location: 'second' }).execute();
    await blockDelete(secondRoot, blob.digest);

    await collectAfter(registry, PAST_HOLD_MS, ctx);

    expect(await blobRow(registry, blob.digest)).toBeDefined();
    expect(await placementsOf(row.id)).toEqual(['second']);
    expect(await stored(registry, blob.digest)).toBe(false);

    await unblock(secondRoot, blob.digest);
    const report = await collectAfter(registry, PAST_HOLD_MS, ctx);

    expect(await blobRow(registry, blob.digest)).toBeUndefined();
    expect(await placementsOf(row.id)).toEqual([]);
    expect(report.storageBlobsDeleted).toBeGreaterThanOrEqual(1);
  });

  it('finishes a repository purge whose blob cannot be deleted; the gc worker collects the blob later', async () => {
    const path_ = uniqueRepo('purge-fails');
    const image = randomImage(1);
    await client.pushImage(path_, 'v1', image);
    const repo = await repositoryOf(registry, path_);
    const layer = image.blobs[1]!;
    const layerId = (await blobRow(registry, layer.digest))!.id;
    await blockDelete(preferredRoot(), layer.digest);
    await markRepositoryForDeletion(registry.ctx.db, repo);

    const failed: number[] = [];
    const result = await purgeRepository(registry.ctx, repo.id, { ...SILENT_OBSERVER, blobNotCollected: (blobId) => failed.push(blobId) });

    expect(result.status).toBe('purged');
    expect(failed).toEqual([layerId]);
    expect(await registry.ctx.db.selectFrom('repository').select('id').where('id', '=', repo.id).executeTakeFirst()).toBeUndefined();
    expect(await blobRow(registry, layer.digest)).toBeDefined();

    await unblock(preferredRoot(), layer.digest);
    await collectAfter(registry, 0);
    expect(await blobRow(registry, layer.digest)).toBeUndefined();
  });

  async function queuedBodies(queue: 'repositorygc' | 'namespacegc'): Promise<Array<Record<string, unknown>>> {
    const rows = await registry.ctx.db.selectFrom('queue_item').select('body').where('queue_name', '=', queue).execute();
    return rows.map((r) => JSON.parse(r.body) as Record<string, unknown>);
  }

  it('queues again the purge of a repository marked for deletion whose item was given up, when its worker is on', async () => {
    const path_ = uniqueRepo('abandoned');
    await client.pushImage(path_, 'v1', randomImage(1));
    const repo = await repositoryOf(registry, path_);
    await markRepositoryForDeletion(registry.ctx.db, repo);
    const forRepo = async () => (await queuedBodies('repositorygc')).filter((b) => b['repository_id'] === repo.id);
    expect(await forRepo()).toHaveLength(1);

    await collectAfter(registry, 0);
    expect(await forRepo()).toHaveLength(1);

    await registry.ctx.db.deleteFrom('queue_item').where('queue_name', '=', 'repositorygc').execute();
    await collectAfter(registry, 0, withConfig({ FEATURE_REPOSITORY_GARBAGE_COLLECTION: false }));
    expect(await forRepo()).toEqual([]);

    await collectAfter(registry, 0);
    expect(await forRepo()).toEqual([{ repository_id: repo.id, namespace: 'gcuser', original_name: path_.split('/')[1] }]);

    expect((await purgeRepository(registry.ctx, repo.id)).status).toBe('purged');
  });

  it('queues again the purge of a deleted namespace without an item, when its worker is on', async () => {
    const name = `gone${randomBytes(3).toString('hex')}`;
    await registry.createUser(name, 'gone-Pa55word!');
    const { db } = registry.ctx;
    const namespace = await db.selectFrom('namespace').select('id').where('name', '=', name).executeTakeFirstOrThrow();
    await db.updateTable('namespace').set({ deleted_at: Date.now() }).where('id', '=', namespace.id).execute();
    const forNamespace = async () => (await queuedBodies('namespacegc')).filter((b) => b['namespace_id'] === namespace.id);

    await collectAfter(registry, 0, withConfig({ FEATURE_NAMESPACE_GARBAGE_COLLECTION: false }));
    expect(await forNamespace()).toEqual([]);

    await collectAfter(registry, 0);
    expect(await forNamespace()).toEqual([{ namespace_id: namespace.id }]);
    await collectAfter(registry, 0);
    expect(await forNamespace()).toHaveLength(1);
  });

  it('a tag moved to a manifest GC removed meanwhile answers not found', async () => {
    const path_ = uniqueRepo('retarget');
    const image = randomImage(1);
    await client.pushImage(path_, 'v1', image);
    const repo = await repositoryOf(registry, path_);
    const manifest = (await findAvailableManifest(registry.ctx.db, repo.id, image.manifest.digest))!;
    expect(manifest).toBeDefined();
    // The tag goes and GC takes the manifest between the API's look-up and the move.
    await deleteTag(registry.ctx.db, repo.id, 'v1');
    await collectAfter(registry, PAST_HOLD_MS);

    await expect(retargetTag(registry.ctx.db, repo.id, 'late', manifest)).rejects.toBeInstanceOf(NotFound);
    expect(await registry.ctx.db.selectFrom('tag').select('id').where('repository_id', '=', repo.id).where('name', '=', 'late').execute()).toEqual(
      [],
    );
  });

  it('the search for untagged manifests stops at the repository limit and resumes there', async () => {
    const after = Date.now() - 1;
    const paths = [uniqueRepo('cap-a'), uniqueRepo('cap-b'), uniqueRepo('cap-c')];
    for (const p of paths) {
      const image = randomImage(1);
      await client.pushImage(p, image.manifest.digest, image);
    }
    const ids = await Promise.all(paths.map(async (p) => (await repositoryOf(registry, p)).id));
    const upTo = Date.now();

    const first = await repositoriesWithUntaggedManifests(registry.ctx.db, after, upTo, 1000, 2);
    expect(first.repositories.map((r) => r.id).sort()).toEqual(ids.slice(0, 2).sort());
    expect(first.scannedUpTo).toBeLessThan(upTo);

    const rest = await repositoriesWithUntaggedManifests(registry.ctx.db, first.scannedUpTo, upTo, 1000, 2);
    expect(rest.repositories.map((r) => r.id)).toContain(ids[2]);
  });
});
