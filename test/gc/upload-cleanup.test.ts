import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKERS } from '../../src/workers/index.js';
import { cleanUpExpiredExports } from '../../src/workers/export-cleanup.js';
import { createUploadCleanupWorker } from '../../src/workers/upload-cleanup.js';
import { randomBlob } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { createUsers } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'uploads-Pa55word!';
const DAY_MS = 24 * 60 * 60_000;

/**
 * Housekeeping: upload sessions abandoned for BLOBUPLOAD_DELETION_DATE_THRESHOLD go with their
 * stored parts (blobuploadcleanup); expired usage-log exports go with their documents
 * (exportedlogscleanup), unless the same content is still named elsewhere.
 */
describe.each(testDialects())('stale uploads and expired exports (%s)', (dialect) => {
  let registry: TestRegistry;
  let v2: RegistryClient;

  async function exists(file: string): Promise<boolean> {
    return access(file).then(
      () => true,
      () => false,
    );
  }

  function uploadFile(uuid: string): string {
    return path.join(registry.dataDir, 'storage', 'uploads', uuid);
  }

  async function counterValue(table: string): Promise<number> {
    const { values } = await registry.ctx.metrics.gcTableRowsDeleted.get();
    return values.find((v) => v.labels['table'] === table)?.value ?? 0;
  }

  /** Starts an upload with one chunk; returns its Location and uuid. */
  async function startUpload(repo: string, data: Buffer): Promise<{ location: string; uuid: string }> {
    const started = await v2.startUpload(repo);
    expect(started.status).toBe(202);
    const patched = await v2.patchChunk(v2.location(started), data, 0);
    expect(patched.status, patched.describe()).toBe(202);
    const uuid = patched.header('docker-upload-uuid');
    if (!uuid) throw new Error(`no upload uuid: ${patched.describe()}`);
    return { location: v2.location(patched), uuid };
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await createUsers(registry, ['alice'], PASSWORD);
    v2 = new RegistryClient(registry.url, basicAuth('alice', PASSWORD));
  });

  afterAll(async () => {
    await registry?.close();
  });

  it('removes an upload untouched for the threshold with its parts; a recent one stays and completes', async () => {
    const { db, config } = registry.ctx;
    const repo = `alice/uploads-${randomBytes(3).toString('hex')}`;
    const stale = await startUpload(repo, randomBytes(700));
    const recentBlob = randomBlob(1500);
    const recent = await startUpload(repo, recentBlob.data.subarray(0, 1000));
    const thresholdMs = config.BLOBUPLOAD_DELETION_DATE_THRESHOLD * 1000;
    await db.updateTable('upload').set({ updated_at: Date.now() - thresholdMs - DAY_MS }).where('uuid', '=', stale.uuid).execute();
    // Touched within the threshold: kept.
    await db.updateTable('upload').set({ updated_at: Date.now() - thresholdMs + DAY_MS }).where('uuid', '=', recent.uuid).execute();
    expect(await exists(uploadFile(stale.uuid))).toBe(true);
    const before = await counterValue('upload');

    await createUploadCleanupWorker(registry.ctx).runOnce();

    expect(await db.selectFrom('upload').select('uuid').where('uuid', '=', stale.uuid).executeTakeFirst()).toBeUndefined();
    expect(await exists(uploadFile(stale.uuid))).toBe(false);
    expect((await v2.uploadStatus(stale.location)).status).toBe(404);
    expect(await counterValue('upload')).toBe(before + 1);

    expect(await exists(uploadFile(recent.uuid))).toBe(true);
    const closed = await v2.closeUpload(recent.location, recentBlob.digest, recentBlob.data.subarray(1000), 1000);
    expect(closed.status, closed.describe()).toBe(201);
    const pulled = await v2.get(`/v2/${repo}/blobs/${recentBlob.digest}`);
    expect(pulled.status).toBe(200);
    expect(pulled.body.equals(recentBlob.data)).toBe(true);
  });

  async function storeDocument(text: string): Promise<string> {
    const store = registry.ctx.storage.preferred;
    const data = Buffer.from(text, 'utf8');
    const uploadId = randomUUID();
    await store.writeUploadChunk({ uploadId, index: 0, offset: 0 }, Readable.from([data]));
    const digest = `sha256:${createHash('sha256').update(data).digest('hex')}`;
    await store.commitUpload({ uploadId, chunkCount: 1, totalBytes: data.length }, digest);
    return digest;
  }

  async function recordExport(digest: string, expiresAt: number): Promise<number> {
    const exportId = randomUUID();
    const row = await registry.ctx.db
      .insertInto('log_export')
      .values({
        export_id: exportId,
        file_id: `${exportId}-${randomUUID()}`,
        location: registry.ctx.storage.preferred.location,
        digest,
        size: 1,
        created_at: expiresAt - 3_600_000,
        expires_at: expiresAt,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  it('removes expired exports and their documents, unless a blob or a live export has the same content', async () => {
    const { db, storage } = registry.ctx;
    const now = Date.now();
    const expiredDoc = await storeDocument(`{"export": "${randomUUID()}"}`);
    const sharedWithLive = await storeDocument(`{"export": "${randomUUID()}"}`);
    const liveDoc = await storeDocument(`{"export": "${randomUUID()}"}`);
    // A pushed blob whose bytes an expired export also names.
    const blob = randomBlob(800);
    await v2.pushBlob('alice/exports', blob);

    const expired = await recordExport(expiredDoc, now - 1000);
    const expiredTwin = await recordExport(sharedWithLive, now - 1000);
    const liveTwin = await recordExport(sharedWithLive, now + 3_600_000);
    const live = await recordExport(liveDoc, now + 3_600_000);
    const expiredBlob = await recordExport(blob.digest, now - 1000);
    const before = await counterValue('log_export');

    expect(await cleanUpExpiredExports(registry.ctx)).toBe(3);

    const remaining = (await db.selectFrom('log_export').select('id').where('id', 'in', [expired, expiredTwin, liveTwin, live, expiredBlob]).execute()).map((r) => r.id);
    expect(remaining.sort((a, b) => a - b)).toEqual([liveTwin, live].sort((a, b) => a - b));
    expect(await storage.preferred.stat(expiredDoc)).toBeNull();
    expect(await storage.preferred.stat(sharedWithLive)).not.toBeNull();
    expect(await storage.preferred.stat(liveDoc)).not.toBeNull();
    expect(await storage.preferred.stat(blob.digest)).toBe(blob.size);
    expect(await counterValue('log_export')).toBe(before + 3);
  });

  it('both housekeeping workers are registered and always start', async () => {
    for (const name of ['blobuploadcleanup', 'exportedlogscleanup']) {
      const running = WORKERS.find((w) => w.name === name)?.start(registry.ctx);
      expect(running, name).toBeDefined();
      await running!.stop();
    }
  });
});
