import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRepository } from '../../src/model/repositories.js';
import { setRepositoryState } from '../../src/model/repository-admin.js';
import { type ApiClient, anonymousClient, expectApiError, expectStatus, sessionClient, tokenClient } from '../helpers/api.js';
import { imageIndex, manifestDescriptor, randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { createUsers, namespaceId } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'tags-Pa55word!';
const RFC2822 = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} -0000$/;

describe.each(testDialects())('tag API (%s)', (dialect) => {
  let registry: TestRegistry;
  /** alice owns every repository here. */
  let alice: ApiClient;
  /** bob has no rights on alice's repositories. */
  let bob: ApiClient;
  /** reader holds read on the repositories a test grants it. */
  let reader: ApiClient;
  let anonymous: ApiClient;

  function v2(username = 'alice'): RegistryClient {
    return new RegistryClient(registry.url, basicAuth(username, PASSWORD));
  }

  async function repositoryId(path: string): Promise<number> {
    const [namespace, ...rest] = path.split('/');
    const repo = await findRepository(registry.ctx.db, { namespace: namespace!, name: rest.join('/') });
    if (!repo) throw new Error(`no repository ${path}`);
    return repo.id;
  }

  async function grant(path: string, username: string, role: 'read' | 'write'): Promise<void> {
    await registry.ctx.db
      .insertInto('repository_permission')
      .values({ repository_id: await repositoryId(path), member_id: await namespaceId(registry, username), team_id: null, role })
      .execute();
  }

  /** A new repository alice/<prefix>-xxxx with tags v1 and v2 on two images; returns its path and the digests. */
  async function repositoryWithTwoTags(prefix: string) {
    const path = `alice/${prefix}-${randomBytes(4).toString('hex')}`;
    const one = await v2().pushImage(path, 'v1', randomImage(1));
    const two = await v2().pushImage(path, 'v2', randomImage(1));
    await grant(path, 'reader', 'read');
    return { path, v1: one.header('docker-content-digest')!, v2: two.header('docker-content-digest')! };
  }

  async function logs(path: string, kind: string) {
    const page = await registry.ctx.usageLogs.listPage(
      { startMs: 0, endMs: Date.now() + 60_000, repositoryId: await repositoryId(path) },
      undefined,
      100,
    );
    return page.entries.filter((e) => e.kind === kind);
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await createUsers(registry, ['alice', 'bob', 'reader'], PASSWORD);
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    reader = await sessionClient(registry, 'reader');
    anonymous = anonymousClient(registry);
  });

  afterAll(async () => {
    await registry?.close();
  });

  describe('GET .../tag/', () => {
    it('lists the whole history, newest first, in Quay\'s shape', async () => {
      const { path, v1, v2: second } = await repositoryWithTwoTags('history');
      await v2().pushImage(path, 'v1', randomImage(1)); // v1 moves: its first row ends
      const res = await alice.get(`/api/v1/repository/${path}/tag/`);
      expectStatus(res);
      expect(res.body.page).toBe(1);
      expect(res.body.has_additional).toBe(false);
      const tags = res.body.tags as Record<string, unknown>[];
      expect(tags.map((t) => t.name)).toEqual(['v1', 'v2', 'v1']);
      const ended = tags[2]!;
      expect(ended).toMatchObject({ name: 'v1', reversion: false, manifest_digest: v1, is_manifest_list: false });
      expect(ended.end_ts).toEqual(expect.any(Number));
      expect(ended.expiration).toMatch(RFC2822);
      expect(ended.size).toEqual(expect.any(Number));
      const live = tags[1]!;
      expect(live).toMatchObject({ name: 'v2', manifest_digest: second, start_ts: expect.any(Number) });
      expect(live.last_modified).toMatch(RFC2822);
      expect(live).not.toHaveProperty('end_ts');
      expect(live).not.toHaveProperty('expiration');
    });

    it('pages with page and limit, and says whether more follow', async () => {
      const { path } = await repositoryWithTwoTags('paging');
      await v2().pushImage(path, 'v3', randomImage(1));
      const first = await alice.get(`/api/v1/repository/${path}/tag/?limit=2&page=1`);
      expect(first.body.tags.map((t: { name: string }) => t.name)).toEqual(['v3', 'v2']);
      expect(first.body.has_additional).toBe(true);
      const second = await alice.get(`/api/v1/repository/${path}/tag/?limit=2&page=2`);
      expect(second.body).toMatchObject({ page: 2, has_additional: false });
      expect(second.body.tags.map((t: { name: string }) => t.name)).toEqual(['v1']);
      // Quay clamps out-of-range values instead of refusing them.
      const clamped = await alice.get(`/api/v1/repository/${path}/tag/?limit=1000&page=0`);
      expect(clamped.body.page).toBe(1);
      expect(clamped.body.tags).toHaveLength(3);
    });

    it('filters by specificTag, onlyActiveTags and filter_tag_name', async () => {
      const { path } = await repositoryWithTwoTags('filters');
      await v2().pushImage(path, 'latest-build', randomImage(1));
      expectStatus(await alice.delete(`/api/v1/repository/${path}/tag/v2`), 204);
      const names = async (query: string) =>
        ((await alice.get(`/api/v1/repository/${path}/tag/?${query}`)).body.tags as { name: string }[]).map((t) => t.name);
      expect(await names('specificTag=v2')).toEqual(['v2']);
      expect(await names('onlyActiveTags=true')).toEqual(['latest-build', 'v1']);
      expect(await names('filter_tag_name=like:BUILD')).toEqual(['latest-build']);
      expect(await names('filter_tag_name=eq:v1')).toEqual(['v1']);
      expect(await names('filter_tag_name=like:%')).toEqual([]);
    });

    it('shows manifest lists with their children', async () => {
      const path = `alice/list-${randomBytes(4).toString('hex')}`;
      const amd = randomImage(1);
      const arm = randomImage(1);
      await v2().pushImage(path, amd.manifest.digest, amd);
      await v2().pushImage(path, arm.manifest.digest, arm);
      const index = imageIndex({ manifests: [manifestDescriptor(amd.manifest), manifestDescriptor(arm.manifest)] });
      await v2().pushImage(path, 'multi', { manifest: index, blobs: [] });
      const res = await alice.get(`/api/v1/repository/${path}/tag/`);
      expect(res.body.tags).toEqual([
        expect.objectContaining({
          name: 'multi',
          is_manifest_list: true,
          size: null,
          is_sparse: false,
          child_manifest_count: 2,
          present_child_count: 2,
          child_manifests_presence: { [amd.manifest.digest]: true, [arm.manifest.digest]: true },
        }),
      ]);
    });

    it('serves public repositories to anonymous callers and refuses private ones', async () => {
      const { path } = await repositoryWithTwoTags('visibility');
      expectApiError(await anonymous.get(`/api/v1/repository/${path}/tag/`), 401);
      expectApiError(await bob.get(`/api/v1/repository/${path}/tag/`), 403);
      expectStatus(await reader.get(`/api/v1/repository/${path}/tag/`));
      expectStatus(await alice.post(`/api/v1/repository/${path}/changevisibility`, { visibility: 'public' }));
      const res = await anonymous.get(`/api/v1/repository/${path}/tag/`);
      expectStatus(res);
      expect(res.body.tags).toHaveLength(2);
    });

    it('answers 404 for an unknown repository and 400 for bad parameters', async () => {
      expectApiError(await alice.get('/api/v1/repository/alice/nothing-here/tag/'), 404);
      const { path } = await repositoryWithTwoTags('badparams');
      expectApiError(await alice.get(`/api/v1/repository/${path}/tag/?page=abc`), 400);
      expectApiError(await alice.get(`/api/v1/repository/${path}/tag/?filter_tag_name=v1`), 400, /filter_tag_name/);
      expectApiError(await alice.get(`/api/v1/repository/${path}/tag/?filter_tag_name=regex:v`), 400, /filter_tag_name/);
    });
  });

  describe('PUT .../tag/{tag}', () => {
    it('creates a tag on an existing manifest and logs create_tag', async () => {
      const { path, v1 } = await repositoryWithTwoTags('create');
      const res = await alice.put(`/api/v1/repository/${path}/tag/release`, { manifest_digest: v1 });
      expectStatus(res, 201);
      expect(res.body).toBe('Updated');
      const pulled = await v2().getManifest(path, 'release');
      expect(pulled.header('docker-content-digest')).toBe(v1);
      const [entry] = await logs(path, 'create_tag');
      expect(entry?.metadata).toMatchObject({
        tag: 'release',
        manifest_digest: v1,
        original_manifest_digest: null,
        namespace: 'alice',
        repo: path.split('/')[1],
        username: 'alice',
      });
      expect(entry?.performerId).toBe(await namespaceId(registry, 'alice'));
    });

    it('moves a tag and logs move_tag with the original digest', async () => {
      const { path, v1, v2: second } = await repositoryWithTwoTags('move');
      expectStatus(await alice.put(`/api/v1/repository/${path}/tag/v1`, { manifest_digest: second }), 201);
      expect((await v2().getManifest(path, 'v1')).header('docker-content-digest')).toBe(second);
      const [entry] = await logs(path, 'move_tag');
      expect(entry?.metadata).toMatchObject({ tag: 'v1', manifest_digest: second, original_manifest_digest: v1 });
    });

    it('sets, reports and clears an expiration', async () => {
      const { path } = await repositoryWithTwoTags('expiry');
      const inOneDay = Math.floor(Date.now() / 1000) + 86_400;
      expectStatus(await alice.put(`/api/v1/repository/${path}/tag/v1`, { expiration: inOneDay }), 201);
      const listed = await alice.get(`/api/v1/repository/${path}/tag/?specificTag=v1`);
      expect(listed.body.tags[0].end_ts).toBe(inOneDay);
      expect(listed.body.tags[0].expiration).toMatch(RFC2822);
      const [set] = await logs(path, 'change_tag_expiration');
      expect(set?.metadata).toMatchObject({ tag: 'v1', expiration_date: inOneDay, old_expiration_date: null });

      expectStatus(await alice.put(`/api/v1/repository/${path}/tag/v1`, { expiration: null }), 201);
      const cleared = await alice.get(`/api/v1/repository/${path}/tag/?specificTag=v1`);
      expect(cleared.body.tags[0]).not.toHaveProperty('end_ts');
      expect((await logs(path, 'change_tag_expiration')).map((e) => e.metadata['old_expiration_date'])).toContain(inOneDay);
    });

    it('clamps an expiration beyond LABELED_EXPIRATION_MAXIMUM, as Quay does', async () => {
      const { path } = await repositoryWithTwoTags('clamp');
      const inTenYears = Math.floor(Date.now() / 1000) + 10 * 365 * 86_400;
      expectStatus(await alice.put(`/api/v1/repository/${path}/tag/v1`, { expiration: inTenYears }), 201);
      const tag = (await alice.get(`/api/v1/repository/${path}/tag/?specificTag=v1`)).body.tags[0];
      expect(tag.end_ts - tag.start_ts).toBeLessThanOrEqual(104 * 7 * 86_400 + 1);
      expect(tag.end_ts - tag.start_ts).toBeGreaterThanOrEqual(104 * 7 * 86_400 - 1);
    });

    it('refuses expirations in the past or beyond any date, and bad tag names', async () => {
      const { path } = await repositoryWithTwoTags('badexpiry');
      const past = Math.floor(Date.now() / 1000) - 60;
      expectApiError(await alice.put(`/api/v1/repository/${path}/tag/v1`, { expiration: past }), 400, /future/);
      expectApiError(await alice.put(`/api/v1/repository/${path}/tag/v1`, { expiration: 1e15 }), 400);
      expectApiError(await alice.put(`/api/v1/repository/${path}/tag/v1`, { expiration: 'soon' }), 400);
      expectApiError(await alice.put(`/api/v1/repository/${path}/tag/-bad`, { expiration: null }), 400);
      const tag = (await alice.get(`/api/v1/repository/${path}/tag/?specificTag=v1`)).body.tags[0];
      expect(tag).not.toHaveProperty('end_ts');
    });

    it('answers 404 for an unknown manifest, tag or repository', async () => {
      const { path } = await repositoryWithTwoTags('missing');
      const unknown = `sha256:${'0'.repeat(64)}`;
      expectApiError(await alice.put(`/api/v1/repository/${path}/tag/new`, { manifest_digest: unknown }), 404);
      expectApiError(await alice.put(`/api/v1/repository/${path}/tag/nope`, { expiration: null }), 404);
      expectApiError(await alice.put('/api/v1/repository/alice/no-such-repo/tag/v1', { manifest_digest: unknown }), 404);
    });

    it('refuses callers without write permission', async () => {
      const { path, v1 } = await repositoryWithTwoTags('denied');
      expectApiError(await reader.put(`/api/v1/repository/${path}/tag/v2`, { manifest_digest: v1 }), 403);
      expectApiError(await bob.put(`/api/v1/repository/${path}/tag/v2`, { manifest_digest: v1 }), 403);
      expectApiError(await anonymous.put(`/api/v1/repository/${path}/tag/v2`, { manifest_digest: v1 }), 401);
      const readOnlyToken = await tokenClient(registry, 'alice', ['repo:read']);
      expectApiError(await readOnlyToken.put(`/api/v1/repository/${path}/tag/v2`, { manifest_digest: v1 }), 403);
      expect((await v2().getManifest(path, 'v2')).header('docker-content-digest')).not.toBe(v1);
    });

    it('refuses changes to READ_ONLY and MIRROR repositories and in read-only mode (503)', async () => {
      const { path, v1 } = await repositoryWithTwoTags('state');
      const id = await repositoryId(path);
      for (const state of ['READ_ONLY', 'MIRROR'] as const) {
        await setRepositoryState(registry.ctx.db, id, state);
        const res = await alice.put(`/api/v1/repository/${path}/tag/v2`, { manifest_digest: v1 });
        expectApiError(res, 503, new RegExp(state));
        expectApiError(await alice.delete(`/api/v1/repository/${path}/tag/v2`), 503);
      }
      await setRepositoryState(registry.ctx.db, id, 'NORMAL');
      registry.ctx.config.REGISTRY_STATE = 'readonly';
      try {
        expectApiError(await alice.put(`/api/v1/repository/${path}/tag/v2`, { manifest_digest: v1 }), 503);
      } finally {
        registry.ctx.config.REGISTRY_STATE = 'normal';
      }
      expect((await v2().getManifest(path, 'v2')).header('docker-content-digest')).not.toBe(v1);
    });
  });

  describe('concurrent moves of one tag', () => {
    /** The rows of tag `name`: exactly one live, and each ended row ends where its successor starts. */
    async function expectConsistentHistory(path: string, name: string, digests: string[]) {
      const rows = await registry.ctx.db
        .selectFrom('tag')
        .innerJoin('manifest', 'manifest.id', 'tag.manifest_id')
        .select(['tag.lifetime_start_ms as start', 'tag.lifetime_end_ms as end', 'manifest.digest as digest'])
        .where('tag.repository_id', '=', await repositoryId(path))
        .where('tag.name', '=', name)
        .orderBy('tag.id')
        .execute();
      const live = rows.filter((row) => row.end === null);
      expect(live).toHaveLength(1);
      expect(rows.at(-1)?.end).toBeNull();
      for (let i = 0; i + 1 < rows.length; i++) {
        expect(Number(rows[i]!.end)).toBeLessThanOrEqual(Number(rows[i + 1]!.start));
      }
      expect(digests).toContain(live[0]!.digest);
      const pulled = await v2().getManifest(path, name);
      expect(pulled.header('docker-content-digest')).toBe(live[0]!.digest);
      return rows;
    }

    it('ten concurrent PUTs all succeed and leave one live row', async () => {
      const path = `alice/race-api-${randomBytes(4).toString('hex')}`;
      const digests: string[] = [];
      for (let i = 0; i < 10; i++) {
        digests.push((await v2().pushImage(path, `source-${i}`, randomImage(1))).header('docker-content-digest')!);
      }
      const results = await Promise.all(
        digests.map((digest) => alice.put(`/api/v1/repository/${path}/tag/contested`, { manifest_digest: digest })),
      );
      expect(results.map((res) => res.status)).toEqual(Array(10).fill(201));
      const rows = await expectConsistentHistory(path, 'contested', digests);
      expect(rows).toHaveLength(10);
      const created = await logs(path, 'create_tag');
      const moved = await logs(path, 'move_tag');
      expect(created.filter((e) => e.metadata['tag'] === 'contested')).toHaveLength(1);
      expect(moved.filter((e) => e.metadata['tag'] === 'contested')).toHaveLength(9);
    });

    it('ten concurrent pushes to one tag all succeed and leave one live row', async () => {
      const path = `alice/race-push-${randomBytes(4).toString('hex')}`;
      const client = v2();
      const images = Array.from({ length: 10 }, () => randomImage(1));
      for (const image of images) for (const blob of image.blobs) await client.pushBlob(path, blob);
      const results = await Promise.all(images.map((image) => client.putManifest(path, 'latest', image.manifest)));
      expect(results.map((res) => res.status)).toEqual(Array(10).fill(201));
      const digests = results.map((res) => res.header('docker-content-digest')!);
      const rows = await expectConsistentHistory(path, 'latest', digests);
      expect(rows).toHaveLength(10);
    });

    it('ten concurrent pushes of one manifest to one tag store it once', async () => {
      const path = `alice/race-same-${randomBytes(4).toString('hex')}`;
      const client = v2();
      const image = randomImage(1);
      for (const blob of image.blobs) await client.pushBlob(path, blob);
      const results = await Promise.all(Array.from({ length: 10 }, () => client.putManifest(path, 'same', image.manifest)));
      expect(results.map((res) => res.status)).toEqual(Array(10).fill(201));
      const rows = await expectConsistentHistory(path, 'same', [results[0]!.header('docker-content-digest')!]);
      expect(rows).toHaveLength(1);
    });
  });

  describe('DELETE .../tag/{tag}', () => {
    it('ends the tag, keeps it in the history and logs delete_tag', async () => {
      const { path } = await repositoryWithTwoTags('delete');
      expectStatus(await alice.delete(`/api/v1/repository/${path}/tag/v1`), 204);
      expect((await v2().getManifest(path, 'v1')).status).toBe(404);
      const history = await alice.get(`/api/v1/repository/${path}/tag/?specificTag=v1`);
      expect(history.body.tags[0].end_ts).toEqual(expect.any(Number));
      const [entry] = await logs(path, 'delete_tag');
      expect(entry?.metadata).toMatchObject({ tag: 'v1', namespace: 'alice', username: 'alice' });
    });

    it('never reaches hidden tags, through the API or /v2/', async () => {
      const { path, v1 } = await repositoryWithTwoTags('delete-hidden');
      const repoId = await repositoryId(path);
      const manifest = await registry.ctx.db
        .selectFrom('manifest')
        .select('id')
        .where('repository_id', '=', repoId)
        .where('digest', '=', v1)
        .executeTakeFirstOrThrow();
      await registry.ctx.db
        .insertInto('tag')
        .values({
          repository_id: repoId,
          name: 'hidden-temp',
          manifest_id: manifest.id,
          lifetime_start_ms: Date.now(),
          lifetime_end_ms: null,
          hidden: 1,
          expires_at_ms: null,
          reversion: 0,
        })
        .execute();
      expectApiError(await alice.delete(`/api/v1/repository/${path}/tag/hidden-temp`), 404);
      expect((await v2().delete(`/v2/${path}/manifests/hidden-temp`)).status).toBe(404);
      expect((await v2().getManifest(path, 'hidden-temp')).status).toBe(404);
      const still = await registry.ctx.db
        .selectFrom('tag')
        .select('lifetime_end_ms')
        .where('repository_id', '=', repoId)
        .where('name', '=', 'hidden-temp')
        .executeTakeFirstOrThrow();
      expect(still.lifetime_end_ms).toBeNull();
    });

    it('answers 404 for a tag that is not live, and refuses readers', async () => {
      const { path } = await repositoryWithTwoTags('delete-missing');
      expectApiError(await alice.delete(`/api/v1/repository/${path}/tag/never`), 404);
      expectApiError(await reader.delete(`/api/v1/repository/${path}/tag/v1`), 403);
      expect((await v2().getManifest(path, 'v1')).status).toBe(200);
    });
  });
});
