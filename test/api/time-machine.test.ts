import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRepository } from '../../src/model/repositories.js';
import { type ApiClient, expectApiError, expectStatus, sessionClient } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { createUsers, namespaceId } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'time-Machine-Pa55!';
const DAY_MS = 86_400_000;

/**
 * The time machine: push v1 and v2 to one tag, delete the tag, restore v1 within the namespace's
 * window (a pull by name then gets v1), and fail to restore once the history is outside it.
 */
describe.each(testDialects())('time machine (%s)', (dialect) => {
  let registry: TestRegistry;
  let alice: ApiClient;
  let reader: ApiClient;
  let v2: RegistryClient;

  async function repositoryId(path: string): Promise<number> {
    const [namespace, ...rest] = path.split('/');
    const repo = await findRepository(registry.ctx.db, { namespace: namespace!, name: rest.join('/') });
    if (!repo) throw new Error(`no repository ${path}`);
    return repo.id;
  }

  /** alice/<prefix>-xxxx where `latest` held v1, then v2, then was deleted. */
  async function deletedTagHistory(prefix: string) {
    const path = `alice/${prefix}-${randomBytes(4).toString('hex')}`;
    const v1 = (await v2.pushImage(path, 'latest', randomImage(1))).header('docker-content-digest')!;
    const second = (await v2.pushImage(path, 'latest', randomImage(1))).header('docker-content-digest')!;
    expectStatus(await alice.delete(`/api/v1/repository/${path}/tag/latest`), 204);
    expect((await v2.getManifest(path, 'latest')).status).toBe(404);
    return { path, v1, v2: second };
  }

  async function setWindow(seconds: number): Promise<void> {
    await registry.ctx.db
      .updateTable('namespace')
      .set({ removed_tag_expiration_s: seconds })
      .where('id', '=', await namespaceId(registry, 'alice'))
      .execute();
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await createUsers(registry, ['alice', 'reader'], PASSWORD);
    alice = await sessionClient(registry, 'alice');
    reader = await sessionClient(registry, 'reader');
    v2 = new RegistryClient(registry.url, basicAuth('alice', PASSWORD));
  });

  afterAll(async () => {
    await registry?.close();
  });

  it('restores a deleted tag to an earlier manifest within the window', async () => {
    await setWindow(14 * 86_400);
    const { path, v1, v2: second } = await deletedTagHistory('restore');
    const res = await alice.post(`/api/v1/repository/${path}/tag/latest/restore`, { manifest_digest: v1 });
    expectStatus(res);
    expect(res.body).toEqual({});

    const pulled = await v2.getManifest(path, 'latest');
    expect(pulled.status).toBe(200);
    expect(pulled.header('docker-content-digest')).toBe(v1);

    // The restored row, v2's row ended by the delete, v1's row ended by the push of v2.
    const history = await alice.get(`/api/v1/repository/${path}/tag/?specificTag=latest`);
    expect(history.body.tags.map((t: { manifest_digest: string }) => t.manifest_digest)).toEqual([v1, second, v1]);
    expect(history.body.tags[0]).not.toHaveProperty('end_ts');
    expect(history.body.tags.map((t: { reversion: boolean }) => t.reversion)).toEqual([true, false, false]);
    const logs = await registry.ctx.usageLogs.listPage(
      { startMs: 0, endMs: Date.now() + 60_000, repositoryId: await repositoryId(path) },
      undefined,
      100,
    );
    expect(logs.entries.find((e) => e.kind === 'revert_tag')?.metadata).toMatchObject({ tag: 'latest', manifest_digest: v1 });
  });

  it('restores a live tag to the manifest it pointed to before', async () => {
    await setWindow(14 * 86_400);
    const path = `alice/live-${randomBytes(4).toString('hex')}`;
    const v1 = (await v2.pushImage(path, 'latest', randomImage(1))).header('docker-content-digest')!;
    await v2.pushImage(path, 'latest', randomImage(1));
    expectStatus(await alice.post(`/api/v1/repository/${path}/tag/latest/restore`, { manifest_digest: v1 }));
    expect((await v2.getManifest(path, 'latest')).header('docker-content-digest')).toBe(v1);
  });

  it('refuses to restore once the namespace window has been shortened past the deletion', async () => {
    await setWindow(14 * 86_400);
    const { path, v1 } = await deletedTagHistory('shortened');
    await setWindow(0);
    const res = await alice.post(`/api/v1/repository/${path}/tag/latest/restore`, { manifest_digest: v1 });
    expectApiError(res, 400, /time machine window/);
    expect((await v2.getManifest(path, 'latest')).status).toBe(404);
  });

  it('refuses to restore to a history row that ended before the window', async () => {
    await setWindow(7 * 86_400);
    const { path, v1, v2: second } = await deletedTagHistory('aged');
    // The rows of v1 ended eight days ago; v2's ended just now.
    await registry.ctx.db
      .updateTable('tag')
      .set((eb) => ({ lifetime_start_ms: eb('lifetime_start_ms', '-', 9 * DAY_MS), lifetime_end_ms: Date.now() - 8 * DAY_MS }))
      .where('repository_id', '=', await repositoryId(path))
      .where('manifest_id', '=', registry.ctx.db.selectFrom('manifest').select('id').where('digest', '=', v1))
      .execute();
    expectApiError(await alice.post(`/api/v1/repository/${path}/tag/latest/restore`, { manifest_digest: v1 }), 400, /window/);
    expectStatus(await alice.post(`/api/v1/repository/${path}/tag/latest/restore`, { manifest_digest: second }));
    expect((await v2.getManifest(path, 'latest')).header('docker-content-digest')).toBe(second);
  });

  it('refuses to restore a tag to a manifest it never pointed to', async () => {
    await setWindow(14 * 86_400);
    const { path } = await deletedTagHistory('never');
    const other = (await v2.pushImage(path, 'other', randomImage(1))).header('docker-content-digest')!;
    expectApiError(await alice.post(`/api/v1/repository/${path}/tag/latest/restore`, { manifest_digest: other }), 400);
  });

  it('answers 404 for unknown manifests, 400 without a digest, 403 to readers', async () => {
    await setWindow(14 * 86_400);
    const { path, v1 } = await deletedTagHistory('errors');
    await registry.ctx.db
      .insertInto('repository_permission')
      .values({ repository_id: await repositoryId(path), member_id: await namespaceId(registry, 'reader'), team_id: null, role: 'read' })
      .execute();
    const unknown = `sha256:${'1'.repeat(64)}`;
    expectApiError(await alice.post(`/api/v1/repository/${path}/tag/latest/restore`, { manifest_digest: unknown }), 404);
    expectApiError(await alice.post(`/api/v1/repository/${path}/tag/latest/restore`, {}), 400, /Missing manifest_digest/);
    expectApiError(await reader.post(`/api/v1/repository/${path}/tag/latest/restore`, { manifest_digest: v1 }), 403);
    expectApiError(await alice.post('/api/v1/repository/alice/no-such/tag/latest/restore', { manifest_digest: v1 }), 404);
    expect((await v2.getManifest(path, 'latest')).status).toBe(404);
  });

  describe('POST .../tag/{tag}/expire (PERMANENTLY_DELETE_TAGS)', () => {
    it('is not there unless enabled', async () => {
      const { path, v1 } = await deletedTagHistory('expire-off');
      expectApiError(await alice.post(`/api/v1/repository/${path}/tag/latest/expire`, { manifest_digest: v1 }), 404);
    });

    it('takes ended rows out of the time machine, after which they cannot be restored', async () => {
      await setWindow(14 * 86_400);
      registry.ctx.config.PERMANENTLY_DELETE_TAGS = true;
      try {
        const { path, v1, v2: second } = await deletedTagHistory('expire');
        const res = await alice.post(`/api/v1/repository/${path}/tag/latest/expire`, { manifest_digest: v1 });
        expectStatus(res);
        expectApiError(await alice.post(`/api/v1/repository/${path}/tag/latest/restore`, { manifest_digest: v1 }), 400);
        // Nothing left to take out for v1; v2 is still restorable.
        expectApiError(await alice.post(`/api/v1/repository/${path}/tag/latest/expire`, { manifest_digest: v1 }), 404);
        expectStatus(await alice.post(`/api/v1/repository/${path}/tag/latest/restore`, { manifest_digest: second }));

        // is_alive: the live tag ends at once, its row already outside the window.
        expectStatus(await alice.post(`/api/v1/repository/${path}/tag/latest/expire`, { is_alive: true }));
        expect((await v2.getManifest(path, 'latest')).status).toBe(404);
        const rows = (await alice.get(`/api/v1/repository/${path}/tag/?specificTag=latest`)).body.tags;
        expect(rows[0].end_ts).toBeLessThan(Date.now() / 1000 - 13 * 86_400);

        expectApiError(await alice.post(`/api/v1/repository/${path}/tag/latest/expire`, {}), 400, /manifest_digest required/);
        expectApiError(await reader.post(`/api/v1/repository/${path}/tag/latest/expire`, { is_alive: true }), 403);
      } finally {
        registry.ctx.config.PERMANENTLY_DELETE_TAGS = false;
      }
    });
  });
});
