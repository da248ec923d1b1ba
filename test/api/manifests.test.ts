import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRepository } from '../../src/model/repositories.js';
import { setRepositoryState } from '../../src/model/repository-admin.js';
import { type ApiClient, anonymousClient, expectApiError, expectStatus, sessionClient } from '../helpers/api.js';
import { blobOf, imageIndex, imageManifest, MEDIA_TYPES, manifestDescriptor, randomBlob } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { createUsers, namespaceId } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'manifests-Pa55word!';
const RFC2822 = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} -0000$/;

/** An image with two layers, config labels and a history with one empty (metadata-only) step. */
function imageWithHistory(labels: Record<string, string> = {}) {
  const config = blobOf(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Labels: labels, Env: [`NONCE=${randomBytes(8).toString('hex')}`] },
      rootfs: { type: 'layers', diff_ids: [] },
      history: [
        { created: '2024-05-01T10:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:abc in /', author: 'builder' },
        { created: '2024-05-01T10:00:01Z', created_by: '/bin/sh -c #(nop) ENV A=1', empty_layer: true },
        { created: '2024-05-01T10:00:02Z', created_by: 'RUN make', comment: 'buildkit' },
      ],
    }),
  );
  const layers = [randomBlob(300), randomBlob(500)];
  return { manifest: imageManifest({ config, layers }), blobs: [config, ...layers], layers };
}

describe.each(testDialects())('manifest and label API (%s)', (dialect) => {
  let registry: TestRegistry;
  let alice: ApiClient;
  let bob: ApiClient;
  let reader: ApiClient;
  let v2: RegistryClient;

  async function repositoryId(path: string): Promise<number> {
    const [namespace, ...rest] = path.split('/');
    const repo = await findRepository(registry.ctx.db, { namespace: namespace!, name: rest.join('/') });
    if (!repo) throw new Error(`no repository ${path}`);
    return repo.id;
  }

  /** alice/<prefix>-xxxx holding `latest` on an image with labels; reader may read it. */
  async function pushedImage(prefix: string, labels: Record<string, string> = { 'org.example.team': 'platform' }) {
    const path = `alice/${prefix}-${randomBytes(4).toString('hex')}`;
    const image = imageWithHistory(labels);
    await v2.pushImage(path, 'latest', image);
    await registry.ctx.db
      .insertInto('repository_permission')
      .values({ repository_id: await repositoryId(path), member_id: await namespaceId(registry, 'reader'), team_id: null, role: 'read' })
      .execute();
    return { path, image, digest: image.manifest.digest, base: `/api/v1/repository/${path}/manifest/${image.manifest.digest}` };
  }

  async function logKinds(path: string) {
    const page = await registry.ctx.usageLogs.listPage(
      { startMs: 0, endMs: Date.now() + 60_000, repositoryId: await repositoryId(path) },
      undefined,
      100,
    );
    return page.entries;
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await createUsers(registry, ['alice', 'bob', 'reader'], PASSWORD);
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    reader = await sessionClient(registry, 'reader');
    v2 = new RegistryClient(registry.url, basicAuth('alice', PASSWORD));
  });

  afterAll(async () => {
    await registry?.close();
  });

  describe('GET .../manifest/{manifestref}', () => {
    it('returns the manifest with its layers and their history', async () => {
      const { image, digest, base } = await pushedImage('get');
      const res = await reader.get(base);
      expectStatus(res);
      expect(res.body).toMatchObject({
        digest,
        is_manifest_list: false,
        manifest_data: image.manifest.bytes.toString('utf8'),
        config_media_type: MEDIA_TYPES.ociConfig,
        layers_compressed_size: 800,
      });
      expect(res.body.layers).toEqual([
        {
          index: 0,
          compressed_size: 300,
          is_remote: false,
          urls: null,
          command: ['/bin/sh -c #(nop) ADD file:abc in /'],
          comment: null,
          author: 'builder',
          blob_digest: image.layers[0]!.digest,
          created_datetime: expect.stringMatching(RFC2822),
        },
        expect.objectContaining({ index: 1, compressed_size: 500, command: ['RUN make'], comment: 'buildkit' }),
      ]);
      expect(res.body.layers[0].created_datetime).toBe('Wed, 01 May 2024 10:00:00 -0000');
    });

    it('returns a manifest list without layers', async () => {
      const { path, image } = await pushedImage('list');
      const index = imageIndex({ manifests: [manifestDescriptor(image.manifest)] });
      await v2.pushImage(path, 'multi', { manifest: index, blobs: [] });
      const res = await alice.get(`/api/v1/repository/${path}/manifest/${index.digest}`);
      expectStatus(res);
      expect(res.body).toMatchObject({ digest: index.digest, is_manifest_list: true, layers: null, layers_compressed_size: 0 });
    });

    it('answers 404 for unknown digests, non-digests and manifests only dead tags point to', async () => {
      const { path, base } = await pushedImage('missing');
      expectApiError(await alice.get(`/api/v1/repository/${path}/manifest/sha256:${'2'.repeat(64)}`), 404);
      expectApiError(await alice.get(`/api/v1/repository/${path}/manifest/latest`), 404);
      expectStatus(await alice.delete(`/api/v1/repository/${path}/tag/latest`), 204);
      expectApiError(await alice.get(base), 404);
      expectApiError(await alice.get(`/api/v1/repository/alice/nope/manifest/sha256:${'2'.repeat(64)}`), 404);
    });

    it('refuses callers who may not read the repository', async () => {
      const { base } = await pushedImage('private');
      expectApiError(await bob.get(base), 403);
      expectApiError(await anonymousClient(registry).get(base), 401);
    });
  });

  describe('labels', () => {
    it('lists the labels imported from the image config, optionally by key prefix', async () => {
      const { base } = await pushedImage('list-labels', { 'org.example.team': 'platform', 'com.example.tier': 'gold' });
      const res = await reader.get(`${base}/labels`);
      expectStatus(res);
      expect(res.body.labels).toEqual([
        { id: expect.any(String), key: 'org.example.team', value: 'platform', source_type: 'manifest', media_type: 'text/plain' },
        { id: expect.any(String), key: 'com.example.tier', value: 'gold', source_type: 'manifest', media_type: 'text/plain' },
      ]);
      const filtered = await reader.get(`${base}/labels?filter=com.`);
      expect(filtered.body.labels.map((l: { key: string }) => l.key)).toEqual(['com.example.tier']);
    });

    it('adds, fetches and deletes an API label, logging both changes', async () => {
      const { path, digest, base } = await pushedImage('crud');
      const created = await alice.post(`${base}/labels`, { key: 'owner', value: '{"team": "a"}', media_type: null });
      expectStatus(created, 201);
      const label = created.body.label;
      expect(label).toEqual({ id: expect.any(String), key: 'owner', value: '{"team": "a"}', source_type: 'api', media_type: 'application/json' });
      expect(created.headers.get('location')).toBe(`${base}/labels/${label.id}`);

      const fetched = await reader.get(`${base}/labels/${label.id}`);
      expectStatus(fetched);
      expect(fetched.body).toEqual(label);

      expectStatus(await alice.delete(`${base}/labels/${label.id}`), 204);
      expectApiError(await alice.get(`${base}/labels/${label.id}`), 404);

      const entries = await logKinds(path);
      expect(entries.find((e) => e.kind === 'manifest_label_add')?.metadata).toMatchObject({
        id: label.id,
        key: 'owner',
        manifest_digest: digest,
        media_type: 'application/json',
        namespace: 'alice',
      });
      expect(entries.find((e) => e.kind === 'manifest_label_delete')?.metadata).toMatchObject({ id: label.id, key: 'owner' });
    });

    it('refuses to delete labels that came from the image config', async () => {
      const { base } = await pushedImage('immutable');
      const [imported] = (await alice.get(`${base}/labels`)).body.labels;
      expectApiError(await alice.delete(`${base}/labels/${imported.id}`), 400, /immutable/);
      expect((await alice.get(`${base}/labels`)).body.labels).toHaveLength(1);
    });

    it('refuses invalid keys, reserved prefixes and unknown media types', async () => {
      const { base } = await pushedImage('invalid');
      expectApiError(await alice.post(`${base}/labels`, { key: 'Bad_Key', value: 'x', media_type: 'text/plain' }), 400, /invalid format/);
      expectApiError(await alice.post(`${base}/labels`, { key: 'a..b', value: 'x', media_type: 'text/plain' }), 400);
      expectApiError(await alice.post(`${base}/labels`, { key: 'io.k8s.thing', value: 'x', media_type: null }), 400, /reserved prefix/);
      expectApiError(await alice.post(`${base}/labels`, { key: 'quay.expires-after', value: '1d', media_type: null }), 400, /reserved/);
      expectApiError(await alice.post(`${base}/labels`, { key: 'ok', value: 'x', media_type: 'text/html' }), 400);
      expectApiError(await alice.post(`${base}/labels`, { key: 'ok' }), 400);
      expect((await alice.get(`${base}/labels`)).body.labels).toHaveLength(1);
    });

    it('answers 404 for unknown manifests and labels', async () => {
      const { path, base } = await pushedImage('label-404');
      const unknown = `/api/v1/repository/${path}/manifest/sha256:${'3'.repeat(64)}`;
      expectApiError(await alice.get(`${unknown}/labels`), 404);
      expectApiError(await alice.post(`${unknown}/labels`, { key: 'ok', value: 'x', media_type: null }), 404);
      expectApiError(await alice.get(`${base}/labels/no-such-label`), 404);
      expectApiError(await alice.delete(`${base}/labels/no-such-label`), 404);
    });

    it('refuses changes from readers, strangers and to READ_ONLY repositories', async () => {
      const { path, base } = await pushedImage('label-denied');
      const body = { key: 'ok', value: 'x', media_type: 'text/plain' };
      expectApiError(await reader.post(`${base}/labels`, body), 403);
      expectApiError(await bob.post(`${base}/labels`, body), 403);
      expectApiError(await bob.get(`${base}/labels`), 403);
      await setRepositoryState(registry.ctx.db, await repositoryId(path), 'READ_ONLY');
      expectApiError(await alice.post(`${base}/labels`, body), 503);
      await setRepositoryState(registry.ctx.db, await repositoryId(path), 'NORMAL');
      expect((await alice.get(`${base}/labels`)).body.labels).toHaveLength(1);
    });

    it('quay.expires-after added through the API sets the expiry of the live tags (when not reserved)', async () => {
      const reserved = registry.ctx.config.DEFAULT_LABEL_KEY_RESERVED_PREFIXES;
      registry.ctx.config.DEFAULT_LABEL_KEY_RESERVED_PREFIXES = [];
      try {
        const { path, base } = await pushedImage('expires-api');
        expectStatus(await alice.post(`${base}/labels`, { key: 'quay.expires-after', value: '2d', media_type: null }), 201);
        const tag = (await alice.get(`/api/v1/repository/${path}/tag/?specificTag=latest`)).body.tags[0];
        expect(tag.end_ts - tag.start_ts).toBe(2 * 86_400);
        expect(tag.expiration).toMatch(RFC2822);
      } finally {
        registry.ctx.config.DEFAULT_LABEL_KEY_RESERVED_PREFIXES = reserved;
      }
    });
  });
});
