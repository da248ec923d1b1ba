import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SILENT_OBSERVER } from '../../src/model/gc/purge-chunks.js';
import { REPOSITORY_PURGE_STEPS, type RepositoryPurgeStep } from '../../src/model/gc/purge-repository.js';
import { WORKERS } from '../../src/workers/index.js';
import { createRepositoryGcWorker } from '../../src/workers/repository-gc.js';
import { type ApiClient, expectStatus, sessionClient } from '../helpers/api.js';
import { type Blob, imageConfigBlob, imageIndex, imageManifest, manifestDescriptor, randomBlob } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { createUsers, namespaceId } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'repogc-Pa55word!';

/** Tables whose rows belong to one repository (log_entry stays on purpose). */
const REPOSITORY_TABLES = [
  'tag',
  'manifest',
  'repository_blob',
  'upload',
  'repository_permission',
  'repository_notification',
  'star',
  'repo_mirror_config',
  'quota_repository_size',
] as const;

/**
 * The repositorygc worker: a repository deleted through the API is purged, row by row and blob by
 * blob; blobs another repository uses survive and are still served; a purge cut short is finished
 * by running the item again.
 */
describe.each(testDialects())('repository garbage collection (%s)', (dialect) => {
  let registry: TestRegistry;
  let alice: ApiClient;
  let v2: RegistryClient;

  function uniqueName(prefix: string): string {
    return `${prefix}-${randomBytes(4).toString('hex')}`;
  }

  async function repositoryIdOf(name: string): Promise<number> {
    const row = await registry.ctx.db
      .selectFrom('repository')
      .select('id')
      .where('namespace_id', '=', await namespaceId(registry, 'alice'))
      .where('name', '=', name)
      .where('state', '!=', 'MARKED_FOR_DELETION')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  async function countWhere(table: (typeof REPOSITORY_TABLES)[number], repositoryId: number): Promise<number> {
    const row = await registry.ctx.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('repository_id', '=', repositoryId)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function rowsPerTable(repositoryId: number): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of REPOSITORY_TABLES) counts[table] = await countWhere(table, repositoryId);
    return counts;
  }

  async function manifestRowsOf(manifestIds: number[]): Promise<Record<string, number>> {
    const { db } = registry.ctx;
    const count = async (table: 'manifest_blob' | 'manifest_label' | 'manifest_child') =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number | string>().as('n'))
            .where('manifest_id', 'in', manifestIds)
            .executeTakeFirstOrThrow()
        ).n,
      );
    return { manifest_blob: await count('manifest_blob'), manifest_label: await count('manifest_label'), manifest_child: await count('manifest_child') };
  }

  async function blobRow(digest: string) {
    return registry.ctx.db.selectFrom('blob').select('id').where('digest', '=', digest).executeTakeFirst();
  }

  async function stored(digest: string): Promise<boolean> {
    return (await registry.ctx.storage.preferred.stat(digest)) !== null;
  }

  async function deleteRepository(name: string): Promise<void> {
    const res = await alice.delete(`/api/v1/repository/alice/${name}`);
    expect(res.status, res.describe()).toBe(204);
  }

  function worker() {
    return createRepositoryGcWorker(registry.ctx, { pollMs: 10 });
  }

  async function counterValue(counter: { get(): Promise<{ values: Array<{ value: number; labels: Record<string, unknown> }> }> }, labels: Record<string, string> = {}): Promise<number> {
    const { values } = await counter.get();
    const match = values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
    return match?.value ?? 0;
  }

  /** Two images sharing one layer, one per repository; returns the blobs by role. */
  async function pushSharingPair(first: string, second: string) {
    const shared = randomBlob(2048);
    const onlyFirst = randomBlob(1500);
    const onlySecond = randomBlob(1700);
    const firstConfig = imageConfigBlob();
    const secondConfig = imageConfigBlob();
    const firstImage = { manifest: imageManifest({ config: firstConfig, layers: [shared, onlyFirst] }), blobs: [firstConfig, shared, onlyFirst] };
    const secondImage = { manifest: imageManifest({ config: secondConfig, layers: [shared, onlySecond] }), blobs: [secondConfig, shared, onlySecond] };
    await v2.pushImage(`alice/${first}`, 'v1', firstImage);
    await v2.pushImage(`alice/${second}`, 'v1', secondImage);
    return { shared, onlyFirst, onlySecond, firstConfig, secondConfig, firstImage, secondImage };
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect, overrides: { FEATURE_QUOTA_MANAGEMENT: true } });
    await createUsers(registry, ['alice', 'bob'], PASSWORD);
    alice = await sessionClient(registry, 'alice');
    v2 = new RegistryClient(registry.url, basicAuth('alice', PASSWORD));
  });

  afterAll(async () => {
    await registry?.close();
  });

  it('purges every row of a deleted repository and the blobs only it held; shared blobs stay served', async () => {
    const { db, metrics } = registry.ctx;
    const one = uniqueName('one');
    const two = uniqueName('two');
    const { shared, onlyFirst, onlySecond, firstConfig, firstImage } = await pushSharingPair(one, two);
    // An index with a second platform whose layer only this repository has.
    const otherLayer = randomBlob(900);
    const otherConfig = imageConfigBlob('arm64');
    const otherManifest = imageManifest({ config: otherConfig, layers: [otherLayer] });
    await v2.pushImage(`alice/${one}`, otherManifest.digest, { manifest: otherManifest, blobs: [otherConfig, otherLayer] });
    const index = imageIndex({ manifests: [manifestDescriptor(firstImage.manifest), manifestDescriptor(otherManifest)] });
    expect((await v2.putManifest(`alice/${one}`, 'multi', index)).status).toBe(201);

    // A blob pushed without a manifest yet: its link has not expired, but it goes with the repository.
    const dangling = randomBlob(600);
    await v2.pushBlob(`alice/${one}`, dangling);

    const id = await repositoryIdOf(one);
    const label = await alice.post(`/api/v1/repository/alice/${one}/manifest/${firstImage.manifest.digest}/labels`, {
      key: 'owner',
      value: 'alice',
      media_type: 'text/plain',
    });
    expectStatus(label, 201);
    expectStatus(await alice.put(`/api/v1/repository/alice/${one}/permissions/user/bob`, { role: 'read' }));
    expectStatus(await alice.post('/api/v1/user/starred', { namespace: 'alice', repository: one }), 201);
    await db
      .insertInto('repository_notification')
      .values({
        uuid: randomBytes(8).toString('hex'),
        repository_id: id,
        event: 'repo_push',
        method: 'webhook',
        title: null,
        config: JSON.stringify({ url: 'http://example.invalid/hook' }),
        event_config: '{}',
        created_at: Date.now(),
      })
      .execute();
    await db.insertInto('repo_mirror_config').values({ repository_id: id, internal_robot_id: null, created_at: Date.now() }).execute();
    await db.insertInto('quota_repository_size').values({ repository_id: id, size_bytes: 1, computed_at: Date.now() }).execute();
    // An upload in progress, with bytes in storage.
    const started = await v2.startUpload(`alice/${one}`);
    expect(started.status).toBe(202);
    expect((await v2.patchChunk(v2.location(started), randomBytes(512), 0)).status).toBe(202);

    const before = await rowsPerTable(id);
    for (const table of REPOSITORY_TABLES) expect(before[table], table).toBeGreaterThan(0);
    const manifestIds = (await db.selectFrom('manifest').select('id').where('repository_id', '=', id).execute()).map((m) => m.id);
    const manifestRows = await manifestRowsOf(manifestIds);
    expect(manifestRows).toEqual({ manifest_blob: expect.any(Number), manifest_label: 1, manifest_child: 2 });
    const uploadsDir = path.join(registry.dataDir, 'storage', 'uploads');
    expect(await readdir(uploadsDir)).toHaveLength(1);
    const purgedBefore = await counterValue(metrics.gcReposPurged);
    const tagRowsBefore = await counterValue(metrics.gcTableRowsDeleted, { table: 'tag' });

    await deleteRepository(one);
    expect(await worker().drain()).toBe(1);

    expect(await db.selectFrom('repository').select('id').where('id', '=', id).executeTakeFirst()).toBeUndefined();
    expect(await rowsPerTable(id)).toEqual(Object.fromEntries(REPOSITORY_TABLES.map((t) => [t, 0])));
    expect(await manifestRowsOf(manifestIds)).toEqual({ manifest_blob: 0, manifest_label: 0, manifest_child: 0 });
    expect(await readdir(uploadsDir)).toEqual([]);
    // Usage-log entries outlive the repository.
    const logged = await db.selectFrom('log_entry').select('id').where('repository_id', '=', id).execute();
    expect(logged.length).toBeGreaterThan(0);

    // Blobs only the deleted repository held are gone from the table and the store.
    for (const blob of [onlyFirst, firstConfig, otherLayer, otherConfig, dangling]) {
      expect(await blobRow(blob.digest), blob.digest).toBeUndefined();
      expect(await stored(blob.digest), blob.digest).toBe(false);
    }
    // The shared layer and the other repository's own blobs stay, served byte for byte.
    for (const blob of [shared, onlySecond] as Blob[]) {
      expect(await blobRow(blob.digest)).toBeDefined();
      const res = await v2.get(`/v2/alice/${two}/blobs/${blob.digest}`);
      expect(res.status, res.describe()).toBe(200);
      expect(res.body.equals(blob.data)).toBe(true);
    }
    expect((await v2.getManifest(`alice/${two}`, 'v1')).status).toBe(200);

    expect(await counterValue(metrics.gcReposPurged)).toBe(purgedBefore + 1);
    expect(await counterValue(metrics.gcTableRowsDeleted, { table: 'tag' })).toBeGreaterThan(tagRowsBefore);
    // Quotas are on: the namespace's sizes are queued for a recount.
    const recounts = await db.selectFrom('queue_item').select('body').where('queue_name', '=', 'quotatotal').execute();
    expect(recounts.map((r) => JSON.parse(r.body).namespace_id)).toContain(await namespaceId(registry, 'alice'));

    // The name takes a new repository, with the layers pushed afresh.
    await v2.pushImage(`alice/${one}`, 'v1', firstImage);
    const again = await v2.get(`/v2/alice/${one}/blobs/${onlyFirst.digest}`);
    expect(again.status).toBe(200);
    expect(again.body.equals(onlyFirst.data)).toBe(true);
  });

  async function runChunks(step: RepositoryPurgeStep, repositoryId: number, chunks: number, limit: number): Promise<void> {
    const target = { deps: registry.ctx, repositoryId, observer: SILENT_OBSERVER };
    for (let n = 0; n < chunks; n++) await step.run(target, limit);
  }

  async function runWholeStep(step: RepositoryPurgeStep, repositoryId: number): Promise<void> {
    const target = { deps: registry.ctx, repositoryId, observer: SILENT_OBSERVER };
    while ((await step.run(target, 2)) > 0) {
      // until the step has nothing left
    }
  }

  it.each([
    ['manifests', 1],
    ['blobs', 3],
  ])('a purge interrupted part way through the %s step is finished when the item runs again', async (stepName, interruptedStep) => {
    const { db } = registry.ctx;
    const doomed = uniqueName('crash');
    const kept = uniqueName('kept');
    const { shared, onlyFirst, firstConfig } = await pushSharingPair(doomed, kept);
    const extra = { config: imageConfigBlob(), layers: [randomBlob(700), randomBlob(800)] };
    await v2.pushImage(`alice/${doomed}`, 'v2', { manifest: imageManifest(extra), blobs: [extra.config, ...extra.layers] });
    const id = await repositoryIdOf(doomed);
    await deleteRepository(doomed);

    // The "crash": the steps before run whole, the interrupted one handles a single small chunk.
    expect(REPOSITORY_PURGE_STEPS[interruptedStep]!.name).toBe(stepName);
    for (const step of REPOSITORY_PURGE_STEPS.slice(0, interruptedStep)) await runWholeStep(step, id);
    await runChunks(REPOSITORY_PURGE_STEPS[interruptedStep]!, id, 1, 1);
    expect(await db.selectFrom('repository').select('id').where('id', '=', id).executeTakeFirst()).toBeDefined();

    expect(await worker().drain()).toBe(1);
    expect(await db.selectFrom('repository').select('id').where('id', '=', id).executeTakeFirst()).toBeUndefined();
    expect(await rowsPerTable(id)).toEqual(Object.fromEntries(REPOSITORY_TABLES.map((t) => [t, 0])));
    for (const blob of [onlyFirst, firstConfig, extra.config, ...extra.layers]) {
      expect(await blobRow(blob.digest), blob.digest).toBeUndefined();
      expect(await stored(blob.digest), blob.digest).toBe(false);
    }
    const res = await v2.get(`/v2/alice/${kept}/blobs/${shared.digest}`);
    expect(res.status).toBe(200);
    expect(res.body.equals(shared.data)).toBe(true);
  });

  it('an item for a repository already purged, or not marked for deletion, changes nothing', async () => {
    const { db } = registry.ctx;
    const live = uniqueName('live');
    expectStatus(await alice.post('/api/v1/repository', { repository: live, visibility: 'private' }), 201);
    const liveId = await repositoryIdOf(live);
    await db.insertInto('queue_item').values({
      queue_name: 'repositorygc',
      body: JSON.stringify({ repository_id: liveId }),
      available_after: 0,
      processing_expires: null,
      retries_remaining: 5,
      created_at: Date.now(),
    }).execute();
    await db.insertInto('queue_item').values({
      queue_name: 'repositorygc',
      body: JSON.stringify({ repository_id: 999_999_999 }),
      available_after: 0,
      processing_expires: null,
      retries_remaining: 5,
      created_at: Date.now(),
    }).execute();
    expect(await worker().drain()).toBe(2);
    expect(await db.selectFrom('repository').select('state').where('id', '=', liveId).executeTakeFirst()).toEqual({ state: 'NORMAL' });
  });

  it('the worker starts only with FEATURE_REPOSITORY_GARBAGE_COLLECTION', async () => {
    const definition = WORKERS.find((w) => w.name === 'repositorygc')!;
    const config = { ...registry.ctx.config, FEATURE_REPOSITORY_GARBAGE_COLLECTION: false };
    expect(definition.start({ ...registry.ctx, config, log: pino({ level: 'silent' }) })).toBeUndefined();
    const running = definition.start(registry.ctx);
    expect(running).toBeDefined();
    await running!.stop();
  });
});
