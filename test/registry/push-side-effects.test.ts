import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listManifestLabels } from '../../src/model/labels.js';
import { findManifestByDigest } from '../../src/model/manifests.js';
import { findNamespace } from '../../src/model/namespaces.js';
import { claimQueueItem, completeQueueItem } from '../../src/model/queue.js';
import { findRepository } from '../../src/model/repositories.js';
import { isValidHostHeader, registryService } from '../../src/net/public-host.js';
import { createRobot, revealRobotToken } from '../../src/model/robots.js';
import { blobOf, imageIndex, imageManifest, MEDIA_TYPES, manifestDescriptor, randomBlob } from '../helpers/blobs.js';
import { sessionClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { authorizationHeader, basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'side-Effects-Pa55!';
const HOUR_MS = 3_600_000;

/** An image whose config carries `labels` (config.Labels) and a history of one layer. */
function labelledImage(labels: Record<string, string>, configMediaType: string = MEDIA_TYPES.ociConfig) {
  const config = blobOf(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: labels, Env: [`NONCE=${randomBytes(8).toString('hex')}`] },
      rootfs: { type: 'layers', diff_ids: [] },
      history: [{ created: '2024-05-01T10:00:00Z', created_by: '/bin/sh -c make', author: 'ci' }],
    }),
  );
  const layer = randomBlob(512);
  return { manifest: imageManifest({ config, layers: [layer], configMediaType }), blobs: [config, layer] };
}

/**
 * What a push and a pull leave besides content: labels imported from the image config, the tag
 * expiry of quay.expires-after, push_repo / pull_repo / delete_tag usage logs, the repo_push event.
 */
describe.each(testDialects())('registry push and pull side effects (%s)', (dialect) => {
  let registry: TestRegistry;
  let alice: RegistryClient;

  function uniquePath(prefix: string): string {
    return `alice/${prefix}-${randomBytes(4).toString('hex')}`;
  }

  async function repo(path: string) {
    const [namespace, ...rest] = path.split('/');
    const found = await findRepository(registry.ctx.db, { namespace: namespace!, name: rest.join('/') });
    if (!found) throw new Error(`no repository ${path}`);
    return found;
  }

  async function labelsOf(path: string, digest: string) {
    const manifest = await findManifestByDigest(registry.ctx.db, (await repo(path)).id, digest);
    if (!manifest) throw new Error(`no manifest ${digest}`);
    return listManifestLabels(registry.ctx.db, manifest.id);
  }

  async function liveTagRow(path: string, name: string) {
    return registry.ctx.db
      .selectFrom('tag')
      .select(['lifetime_start_ms', 'expires_at_ms'])
      .where('repository_id', '=', (await repo(path)).id)
      .where('name', '=', name)
      .where('lifetime_end_ms', 'is', null)
      .executeTakeFirstOrThrow();
  }

  async function logs(path: string, kind: string) {
    await registry.ctx.usageLogs.flush();
    const page = await registry.ctx.usageLogs.listPage(
      { startMs: 0, endMs: Date.now() + 60_000, repositoryId: (await repo(path)).id },
      undefined,
      100,
    );
    return page.entries.filter((e) => e.kind === kind);
  }

  /** Subscribes repository `path` to repo_push with a webhook nobody calls here. */
  async function subscribe(target: TestRegistry, path: string) {
    const [namespace, ...rest] = path.split('/');
    const found = await findRepository(target.ctx.db, { namespace: namespace!, name: rest.join('/') });
    await target.ctx.db
      .insertInto('repository_notification')
      .values({
        uuid: `n-${randomBytes(6).toString('hex')}`,
        repository_id: found!.id,
        event: 'repo_push',
        method: 'webhook',
        title: null,
        config: JSON.stringify({ url: 'http://example.invalid/hook' }),
        event_config: '{}',
        created_at: Date.now(),
      })
      .execute();
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await registry.createUser('alice', PASSWORD);
    alice = new RegistryClient(registry.url, basicAuth('alice', PASSWORD));
  });

  afterAll(async () => {
    await registry?.close();
  });

  describe('labels from the image config', () => {
    it('imports config.Labels as immutable manifest labels, with the media type inferred', async () => {
      const path = uniquePath('labels');
      const image = labelledImage({ 'org.example.team': 'platform', 'org.example.meta': '{"a": 1}' });
      await alice.pushImage(path, 'v1', image);
      const labels = await labelsOf(path, image.manifest.digest);
      expect(labels.map(({ key, value, mediaType, sourceType }) => ({ key, value, mediaType, sourceType }))).toEqual([
        { key: 'org.example.team', value: 'platform', mediaType: 'text/plain', sourceType: 'manifest' },
        { key: 'org.example.meta', value: '{"a": 1}', mediaType: 'application/json', sourceType: 'manifest' },
      ]);
      // Pushing the same manifest again (another tag) imports nothing twice.
      await alice.pushImage(path, 'v2', image);
      expect(await labelsOf(path, image.manifest.digest)).toHaveLength(2);
    });

    it('reads Docker container configs too', async () => {
      const path = uniquePath('docker-config');
      const image = labelledImage({ maintainer: 'ops@example.com' }, MEDIA_TYPES.dockerConfig);
      await alice.pushImage(path, 'v1', image);
      expect((await labelsOf(path, image.manifest.digest)).map((l) => l.key)).toEqual(['maintainer']);
    });

    it('never fails a push because the config cannot be read', async () => {
      const path = uniquePath('unreadable');
      const notJson = blobOf(`not json ${randomBytes(4).toString('hex')}`);
      const layer = randomBlob(256);
      const broken = { manifest: imageManifest({ config: notJson, layers: [layer] }), blobs: [notJson, layer] };
      expect((await alice.pushImage(path, 'v1', broken)).status).toBe(201);
      expect(await labelsOf(path, broken.manifest.digest)).toEqual([]);

      // The config's bytes gone from storage: the push still succeeds, without labels.
      const image = labelledImage({ 'org.example.lost': 'yes' });
      for (const blob of image.blobs) await alice.pushBlob(path, blob);
      await registry.ctx.storage.preferred.delete(image.blobs[0]!.digest);
      expect((await alice.putManifest(path, 'v2', image.manifest)).status).toBe(201);
      expect(await labelsOf(path, image.manifest.digest)).toEqual([]);
      expect((await alice.getManifest(path, 'v2')).status).toBe(200);
    });
  });

  describe('quay.expires-after', () => {
    it('sets the pushed tag to expire that long after the push', async () => {
      const path = uniquePath('expires');
      await alice.pushImage(path, 'short', labelledImage({ 'quay.expires-after': '3h' }));
      const row = await liveTagRow(path, 'short');
      expect(Number(row.expires_at_ms) - Number(row.lifetime_start_ms)).toBe(3 * HOUR_MS);
      expect((await alice.getManifest(path, 'short')).status).toBe(200);

      await alice.pushImage(path, 'weeks', labelledImage({ 'quay.expires-after': '2w' }));
      const weeks = await liveTagRow(path, 'weeks');
      expect(Number(weeks.expires_at_ms) - Number(weeks.lifetime_start_ms)).toBe(14 * 24 * HOUR_MS);
    });

    it('applies to every tag pushed to the manifest later, and ignores unusable values', async () => {
      const path = uniquePath('expires-again');
      const image = labelledImage({ 'quay.expires-after': '1d' });
      await alice.pushImage(path, 'first', image);
      await alice.pushImage(path, 'second', image);
      const second = await liveTagRow(path, 'second');
      expect(Number(second.expires_at_ms) - Number(second.lifetime_start_ms)).toBe(24 * HOUR_MS);

      await alice.pushImage(path, 'odd', labelledImage({ 'quay.expires-after': 'soon' }));
      expect((await liveTagRow(path, 'odd')).expires_at_ms).toBeNull();
    });

    it('applies to tags created or restored through the API, as Quay\'s retarget does', async () => {
      const path = uniquePath('expires-api');
      const api = await sessionClient(registry, 'alice');
      const image = labelledImage({ 'quay.expires-after': '2h' });
      await alice.pushImage(path, 'pushed', image);
      const put = await api.put(`/api/v1/repository/${path}/tag/copied`, { manifest_digest: image.manifest.digest });
      expect(put.status, put.describe()).toBe(201);
      const copied = await liveTagRow(path, 'copied');
      expect(Number(copied.expires_at_ms) - Number(copied.lifetime_start_ms)).toBe(2 * HOUR_MS);

      await alice.pushImage(path, 'copied', labelledImage({}));
      const restored = await api.post(`/api/v1/repository/${path}/tag/copied/restore`, { manifest_digest: image.manifest.digest });
      expect(restored.status, restored.describe()).toBe(200);
      const row = await liveTagRow(path, 'copied');
      expect(Number(row.expires_at_ms) - Number(row.lifetime_start_ms)).toBe(2 * HOUR_MS);
    });

    it('applies to a manifest list when all its children agree', async () => {
      const path = uniquePath('expires-list');
      const amd = labelledImage({ 'quay.expires-after': '5h' });
      const arm = labelledImage({ 'quay.expires-after': '5h' });
      const other = labelledImage({ 'quay.expires-after': '1h' });
      for (const child of [amd, arm, other]) await alice.pushImage(path, child.manifest.digest, child);
      const agreed = imageIndex({ manifests: [manifestDescriptor(amd.manifest), manifestDescriptor(arm.manifest)] });
      await alice.pushImage(path, 'agreed', { manifest: agreed, blobs: [] });
      const row = await liveTagRow(path, 'agreed');
      expect(Number(row.expires_at_ms) - Number(row.lifetime_start_ms)).toBe(5 * HOUR_MS);

      const mixed = imageIndex({ manifests: [manifestDescriptor(amd.manifest), manifestDescriptor(other.manifest)] });
      await alice.pushImage(path, 'mixed', { manifest: mixed, blobs: [] });
      expect((await liveTagRow(path, 'mixed')).expires_at_ms).toBeNull();
    });
  });

  describe('usage logs and events', () => {
    it('logs push_repo for a tag push, with the user as performer', async () => {
      const path = uniquePath('push-log');
      const image = labelledImage({});
      await alice.pushImage(path, 'v1', image);
      const [entry, ...more] = await logs(path, 'push_repo');
      expect(more).toEqual([]);
      const alicesId = (await findNamespace(registry.ctx.db, 'alice'))!.id;
      expect(entry).toMatchObject({ performerId: alicesId, namespaceId: alicesId, ip: expect.any(String) });
      expect(entry?.metadata).toMatchObject({
        repo: path.split('/')[1],
        namespace: 'alice',
        tag: 'v1',
        username: 'alice',
        mediaType: MEDIA_TYPES.ociManifest,
      });
    });

    it('logs a robot as the performer of its push', async () => {
      const path = uniquePath('robot-push');
      await alice.pushImage(path, 'v0', labelledImage({}));
      const owner = (await findNamespace(registry.ctx.db, 'alice'))!;
      const robot = await createRobot(registry.ctx.db, registry.ctx.secrets, { owner, shortname: `bot${randomBytes(3).toString('hex')}` });
      await registry.ctx.db
        .insertInto('repository_permission')
        .values({ repository_id: (await repo(path)).id, member_id: robot.id, team_id: null, role: 'write' })
        .execute();
      const asRobot = new RegistryClient(registry.url, basicAuth(robot.name, revealRobotToken(registry.ctx.secrets, robot)));
      await asRobot.pushImage(path, 'v1', labelledImage({}));
      const entry = (await logs(path, 'push_repo')).find((e) => e.metadata['tag'] === 'v1');
      expect(entry?.performerId).toBe(robot.id);
      expect(entry?.metadata).toMatchObject({ username: robot.name, is_robot: true });
    });

    it('logs no push_repo for a push by digest', async () => {
      const path = uniquePath('digest-push');
      await alice.pushImage(path, 'seed', labelledImage({}));
      const image = labelledImage({});
      await alice.pushImage(path, image.manifest.digest, image);
      expect((await logs(path, 'push_repo')).map((e) => e.metadata['tag'])).toEqual(['seed']);
    });

    it('logs pull_repo for GETs by tag and by digest, not for HEADs', async () => {
      const path = uniquePath('pull-log');
      const image = labelledImage({});
      await alice.pushImage(path, 'v1', image);
      expect((await alice.getManifest(path, 'v1')).status).toBe(200);
      expect((await alice.getManifest(path, image.manifest.digest)).status).toBe(200);
      expect((await alice.headManifest(path, 'v1')).status).toBe(200);
      const pulls = await logs(path, 'pull_repo');
      expect(pulls.map((e) => e.metadata['tag'] ?? e.metadata['manifest_digest']).sort()).toEqual(
        ['v1', image.manifest.digest].sort(),
      );
      expect(pulls[0]?.performerId).toBe((await findNamespace(registry.ctx.db, 'alice'))!.id);
    });

    it('logs anonymous pulls of public repositories without a performer', async () => {
      const path = uniquePath('anonymous-pull');
      await alice.pushImage(path, 'v1', labelledImage({}));
      await registry.ctx.db.updateTable('repository').set({ visibility: 'public' }).where('id', '=', (await repo(path)).id).execute();
      expect((await new RegistryClient(registry.url).getManifest(path, 'v1')).status).toBe(200);
      const [pull] = await logs(path, 'pull_repo');
      expect(pull?.performerId).toBeNull();
      expect(pull?.metadata).not.toHaveProperty('username');
    });

    it('logs delete_tag for a tag deleted over /v2/', async () => {
      const path = uniquePath('v2-delete');
      await alice.pushImage(path, 'v1', labelledImage({}));
      expect((await alice.delete(`/v2/${path}/manifests/v1`)).status).toBe(202);
      expect((await logs(path, 'delete_tag')).map((e) => e.metadata['tag'])).toEqual(['v1']);
    });

    it('queues Quay\'s repo_push payload for each subscribed notification', async () => {
      const path = uniquePath('events');
      await alice.pushImage(path, 'v0', labelledImage({}));
      await subscribe(registry, path);
      await alice.pushImage(path, 'v1', labelledImage({}));
      const item = await claimQueueItem(registry.ctx.db, registry.ctx.dialect, 'notification', 60_000);
      expect(item).toBeDefined();
      await completeQueueItem(registry.ctx.db, item!);
      const repository = path;
      expect(item!.body).toMatchObject({
        event: 'repo_push',
        event_data: {
          repository,
          namespace: 'alice',
          name: path.split('/')[1],
          docker_url: `${registry.host}/${repository}`,
          homepage: `http://${registry.host}/repository/${repository}`,
          updated_tags: ['v1'],
        },
      });
      // The push before the subscription queued nothing.
      expect(await claimQueueItem(registry.ctx.db, registry.ctx.dialect, 'notification', 60_000)).toBeUndefined();
    });
  });
  describe('the host in repo_push payloads', () => {
    /** PUTs a manifest with a Host header of the test's choosing (fetch would not send it). */
    function putWithHost(target: TestRegistry, path: string, tag: string, manifest: { bytes: Buffer; mediaType: string }, host: string) {
      const url = new URL(`${target.url}/v2/${path}/manifests/${tag}`);
      return new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          url,
          {
            method: 'PUT',
            headers: {
              host,
              'content-type': manifest.mediaType,
              authorization: authorizationHeader(basicAuth('alice', PASSWORD))!,
            },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(manifest.bytes);
      });
    }

    async function queuedPayload(target: TestRegistry) {
      const item = await claimQueueItem(target.ctx.db, target.ctx.dialect, 'notification', 60_000);
      expect(item).toBeDefined();
      await completeQueueItem(target.ctx.db, item!);
      return item!.body['event_data'] as Record<string, unknown>;
    }

    async function pushWithHost(target: TestRegistry, host: string) {
      const path = uniquePath('host');
      const client = new RegistryClient(target.url, basicAuth('alice', PASSWORD));
      await client.pushImage(path, 'v0', labelledImage({}));
      await subscribe(target, path);
      const image = labelledImage({});
      for (const blob of image.blobs) await client.pushBlob(path, blob);
      expect(await putWithHost(target, path, 'v1', image.manifest, host)).toBe(201);
      return { path, payload: await queuedPayload(target) };
    }

    it('uses a valid request Host when SERVER_HOSTNAME is unset', async () => {
      const { path, payload } = await pushWithHost(registry, 'registry.example.com:8443');
      expect(payload).toMatchObject({
        docker_url: `registry.example.com:8443/${path}`,
        homepage: `http://registry.example.com:8443/repository/${path}`,
      });
    });

    it('falls back to localhost for a malformed Host', async () => {
      const { path, payload } = await pushWithHost(registry, 'evil.example/x?y=<script>');
      expect(payload).toMatchObject({ docker_url: `localhost/${path}`, homepage: `http://localhost/repository/${path}` });
    });

    it('never uses the request Host when SERVER_HOSTNAME is set', async () => {
      const configured = await startTestRegistry({ dialect, overrides: { SERVER_HOSTNAME: 'quay.example.org' } });
      try {
        await configured.createUser('alice', PASSWORD);
        const { path, payload } = await pushWithHost(configured, 'attacker.example');
        expect(payload).toMatchObject({
          docker_url: `quay.example.org/${path}`,
          homepage: `http://quay.example.org/repository/${path}`,
        });
      } finally {
        await configured.close();
      }
    });
  });
});

describe('registry public host', () => {
  it('accepts host[:port] names and addresses and refuses anything else', () => {
    for (const good of ['localhost', 'quay.example.com', 'quay.example.com:443', '10.0.0.1:5000', '[::1]:8080', 'a-b.c']) {
      expect(isValidHostHeader(good), good).toBe(true);
    }
    for (const bad of ['', 'a b', 'host/path', 'host:99999', 'user@host', '-bad.example', 'host:', `${'a'.repeat(300)}.com`]) {
      expect(isValidHostHeader(bad), bad).toBe(false);
    }
  });

  it('prefers SERVER_HOSTNAME and otherwise falls back to localhost for an unusable Host', () => {
    const base = { SERVER_HOSTNAME: undefined } as unknown as Parameters<typeof registryService>[0];
    expect(registryService({ ...base, SERVER_HOSTNAME: 'quay.example.org' }, 'other.example')).toBe('quay.example.org');
    expect(registryService(base, 'other.example:5000')).toBe('other.example:5000');
    expect(registryService(base, 'bad host')).toBe('localhost');
    expect(registryService(base, undefined)).toBe('localhost');
  });
});
