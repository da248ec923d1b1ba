import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.js';
import { deleteTag } from '../../src/model/tags.js';
import { GarbageCollector, type GcRunReport } from '../../src/workers/gc.js';
import {
  type Blob,
  type BuiltManifest,
  imageConfigBlob,
  imageIndex,
  imageManifest,
  manifestDescriptor,
  randomBlob,
  sha256Digest,
} from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { errorCodes, type RegistryClient, type RegistryResponse } from '../helpers/http.js';
import type { TestRegistry } from '../helpers/registry.js';
import { repositoryOf, setTimeMachine, startGcRegistry, uniqueRepo } from './support.js';

const ROUNDS = 40;

interface Image {
  manifest: BuiltManifest;
  blobs: Blob[];
}

/**
 * Pushes and garbage collection at the same moment, round after round, with nothing held back: the
 * time machine at 0, GC treating every PUT as old (its PUSH_TEMP_TAG_EXPIRATION_SEC at 0) and
 * upload links that expire during the push. A push may fail (the client retries); what must never
 * happen is a manifest whose blob or bytes are gone, or a blob row without its bytes.
 */
describe.each(testDialects())('pushes racing garbage collection (%s)', (dialect) => {
  let registry: TestRegistry;
  let client: RegistryClient;
  let gcContext: AppContext;

  beforeAll(async () => {
    // The registry gives uploads a one-second hold; the collectors give manifests none.
    ({ registry, client } = await startGcRegistry(dialect, { PUSH_TEMP_TAG_EXPIRATION_SEC: 1 }));
    await setTimeMachine(registry, 0);
    gcContext = { ...registry.ctx, config: { ...registry.ctx.config, PUSH_TEMP_TAG_EXPIRATION_SEC: 0 } };
  });

  afterAll(async () => {
    await registry?.close();
  });

  /** OCI error codes of the failed requests, counted. */
  const failureCodes = new Map<string, number>();

  function failed(res: RegistryResponse): false {
    expect(res.status, res.describe()).toBeLessThan(500);
    for (const code of errorCodes(res)) failureCodes.set(code, (failureCodes.get(code) ?? 0) + 1);
    return false;
  }

  /** Uploads what the image needs, then PUTs it; false on any client error (allowed here). */
  async function tryPush(path: string, reference: string, image: Image, upload: readonly Blob[] = image.blobs): Promise<boolean> {
    for (const blob of upload) {
      const res = await client.uploadPostPut(path, blob);
      if (res.status !== 201) return failed(res);
    }
    const res = await client.putManifest(path, reference, image.manifest);
    return res.status === 201 || failed(res);
  }

  /** Makes the repository's link to `blob` expire `inMs` from now (at once: garbage already). */
  async function expireLink(path: string, blob: Blob, inMs: number): Promise<void> {
    const repo = await repositoryOf(registry, path);
    const row = await registry.ctx.db.selectFrom('blob').select('id').where('digest', '=', blob.digest).executeTakeFirstOrThrow();
    await registry.ctx.db
      .updateTable('repository_blob')
      .set({ expires_at: Date.now() + inMs })
      .where('repository_id', '=', repo.id)
      .where('blob_id', '=', row.id)
      .execute();
  }

  /** Every tag's manifest, its children and their blobs can be pulled, byte for byte. */
  async function assertPullable(path: string): Promise<void> {
    const tags = await client.get(`/v2/${path}/tags/list`);
    if (tags.status === 404) return;
    const names = ((tags.json() as { tags: string[] | null }).tags ?? []) as string[];
    for (const name of names) await assertManifestPullable(path, name);
  }

  async function assertManifestPullable(path: string, reference: string): Promise<void> {
    const res = await client.getManifest(path, reference);
    expect(res.status, res.describe()).toBe(200);
    const json = res.json() as { config?: { digest: string }; layers?: Array<{ digest: string }>; manifests?: Array<{ digest: string }> };
    for (const child of json.manifests ?? []) await assertManifestPullable(path, child.digest);
    for (const blob of [...(json.config ? [json.config] : []), ...(json.layers ?? [])]) {
      const pulled = await client.get(`/v2/${path}/blobs/${blob.digest}`);
      expect(pulled.status, `${path} ${reference}: ${pulled.describe()}`).toBe(200);
      expect(sha256Digest(pulled.body)).toBe(blob.digest);
    }
  }

  /** The store side: every manifest's blob rows exist with bytes, and every blob row has its bytes. */
  async function assertStorageConsistent(): Promise<void> {
    const { db, storage } = registry.ctx;
    const placements = await db
      .selectFrom('blob')
      .leftJoin('blob_placement', 'blob_placement.blob_id', 'blob.id')
      .select(['blob.digest', 'blob_placement.location'])
      .execute();
    for (const { digest, location } of placements) {
      expect(location, `blob ${digest} has no placement`).not.toBeNull();
      expect(await storage.location(location!)!.stat(digest), `blob row ${digest} without bytes`).not.toBeNull();
    }
    const manifestBlobs = await db
      .selectFrom('manifest_blob')
      .leftJoin('blob', 'blob.id', 'manifest_blob.blob_id')
      .select(['manifest_blob.manifest_id', 'blob.digest'])
      .execute();
    for (const row of manifestBlobs) expect(row.digest, `manifest ${row.manifest_id} references a missing blob`).not.toBeNull();
  }

  /** Runs the collectors over and over until `until` settles; returns their reports. */
  async function collectWhile(until: Promise<unknown>): Promise<GcRunReport[]> {
    let settled = false;
    const done = () => {
      settled = true;
    };
    until.then(done, done);
    const collectors = [new GarbageCollector(gcContext), new GarbageCollector(gcContext)];
    const reports: GcRunReport[] = [];
    await Promise.all(
      collectors.map(async (collector) => {
        do {
          reports.push(await collector.run());
          // On SQLite a run may never leave the microtask queue: let the pushes' sockets be served.
          await new Promise((resolve) => setImmediate(resolve));
        } while (!settled);
      }),
    );
    return reports;
  }

  it(`keeps every pushed manifest whole over ${ROUNDS} rounds`, async () => {
    const path = uniqueRepo('race');
    const shared = randomBlob(2048);
    let previous: Image | undefined;
    // Whether the last base push succeeded: a failed one (allowed) leaves no base tag to delete.
    let baseTagged = false;
    // Per push kind: base image, expiring link, index, re-uploaded orphan.
    const tally = { collectingRounds: 0, blobsCollected: 0, manifestsCollected: 0, pushed: [0, 0, 0, 0], failed: [0, 0, 0, 0] };

    for (let round = 0; round < ROUNDS; round++) {
      // The base tag's old image is garbage the moment the tag ends; its layers are the new image's.
      if (baseTagged) await deleteTag(registry.ctx.db, (await repositoryOf(registry, path)).id, 'base');
      const image: Image = (() => {
        const config = imageConfigBlob(`arch-${round}`);
        const layers = [shared, ...(previous ? [previous.blobs.at(-1)!] : []), randomBlob(512)];
        return { manifest: imageManifest({ config, layers }), blobs: [config, ...layers] };
      })();

      // A blob whose upload link expires while the manifest referencing it is pushed.
      const expiring = randomBlob(300);
      const expiringConfig = imageConfigBlob(`exp-${round}`);
      const expiringImage: Image = {
        manifest: imageManifest({ config: expiringConfig, layers: [expiring] }),
        blobs: [expiringConfig, expiring],
      };
      const expiringReady = (await client.uploadPostPut(path, expiring)).status === 201;
      if (expiringReady) await expireLink(path, expiring, (round % 5) * 40);
      // A blob that is garbage already, uploaded again while GC deletes it.
      const orphan = randomBlob(400);
      const orphanConfig = imageConfigBlob(`orphan-${round}`);
      const orphanImage: Image = { manifest: imageManifest({ config: orphanConfig, layers: [orphan] }), blobs: [orphan, orphanConfig] };
      const orphanReady = (await client.uploadPostPut(path, orphan)).status === 201;
      if (orphanReady) await expireLink(path, orphan, 0);

      const pushes = Promise.all([
        tryPush(path, 'base', image),
        expiringReady ? tryPush(path, 'expiring', expiringImage, [expiringConfig]) : Promise.resolve(false),
        pushIndex(path, round, shared),
        orphanReady ? tryPush(path, 'reuploaded', orphanImage) : Promise.resolve(false),
      ]);
      const [reports, outcomes] = await Promise.all([collectWhile(pushes), pushes]);

      outcomes.forEach((ok, kind) => {
        if (ok) tally.pushed[kind]!++;
        else tally.failed[kind]!++;
      });
      const blobs = reports.reduce((sum, r) => sum + r.storageBlobsDeleted, 0);
      const manifests = reports.reduce((sum, r) => sum + r.manifestsDeleted, 0);
      tally.blobsCollected += blobs;
      tally.manifestsCollected += manifests;
      if (blobs + manifests > 0) tally.collectingRounds++;
      baseTagged = outcomes[0];
      if (outcomes[0]) previous = image;

      await assertPullable(path);
      await assertStorageConsistent();
    }

    // The race was real: GC deleted things while pushes ran, in most rounds, and the image whose
    // layers the collected one shared was pushed in most rounds.
    expect(tally.collectingRounds).toBeGreaterThanOrEqual(ROUNDS / 2);
    expect(tally.blobsCollected).toBeGreaterThan(ROUNDS);
    expect(tally.pushed[0]).toBeGreaterThanOrEqual(ROUNDS / 2);
    console.info(`push race (${dialect}): ${JSON.stringify({ ...tally, failures: Object.fromEntries(failureCodes) })}`);
  });

  /** A one-child index: the child pushed by digest (collectable at once here), then the index by tag. */
  async function pushIndex(path: string, round: number, shared: Blob): Promise<boolean> {
    const config = imageConfigBlob(`child-${round}`);
    const child: Image = { manifest: imageManifest({ config, layers: [shared] }), blobs: [config, shared] };
    if (!(await tryPush(path, child.manifest.digest, child))) return false;
    const index = imageIndex({ manifests: [manifestDescriptor(child.manifest)] });
    const res = await client.putManifest(path, 'multi', index);
    return res.status === 201 || failed(res);
  }
});
