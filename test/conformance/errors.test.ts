import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEDIA_TYPES, randomBlob, randomImage, unknownDigest } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import type { RegistryResponse } from '../helpers/http.js';
import { type ConformanceEnv, expectErrorShape, expectStatus, startConformanceEnv } from './support.js';

/** Every /v2/ error is OCI error JSON: `{"errors":[{"code","message",...}]}`, never HTML or a stack trace. */

describe.each(testDialects())('error bodies (%s)', (dialect) => {
  let env: ConformanceEnv;
  let repo: string;
  beforeAll(async () => {
    env = await startConformanceEnv(dialect);
    repo = env.repo('errors');
    await env.alice.pushImage(repo, 'v1', randomImage(1));
  });
  afterAll(async () => {
    await env?.close();
  });

  function expectError(res: RegistryResponse): void {
    expect(res.status, res.describe()).toBeGreaterThanOrEqual(400);
    expect(res.status, res.describe()).toBeLessThan(500);
    expectErrorShape(res);
  }

  it('unknown /v2/ routes', async () => {
    expectError(await env.alice.get(`/v2/${repo}/nonsense`));
    expectError(await env.alice.get('/v2/nonsense'));
    expectError(await env.anonymous.get(`/v2/${repo}/nonsense/deeper`));
  });

  it('unsupported methods on known routes', async () => {
    expectError(await env.alice.request('POST', `/v2/${repo}/manifests/v1`, { body: '{}' }));
    expectError(await env.alice.request('PATCH', `/v2/${repo}/blobs/${unknownDigest()}`, { body: 'x' }));
    expectError(await env.alice.request('PUT', `/v2/${repo}/tags/list`, { body: 'x' }));
  });

  it('malformed upload requests', async () => {
    const post = await env.alice.startUpload(repo);
    expectStatus(post, 202);
    const location = env.alice.location(post);
    for (const range of ['garbage', '5-2', '-1-4', '0-abc']) {
      const res = await env.alice.request('PATCH', location, {
        body: randomBlob(10).data,
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': range },
      });
      expect([400, 416], res.describe()).toContain(res.status);
      expectErrorShape(res);
    }
    expectError(await env.alice.request('PUT', location, { body: Buffer.alloc(0) }));
    expectError(await env.alice.request('PUT', env.alice.withQuery(location, { digest: 'nonsense' }), { body: '' }));
    expectError(await env.alice.get(`/v2/${repo}/blobs/uploads/not-a-uuid`));
  });

  it('malformed manifests and references', async () => {
    const cases: Array<[string, string]> = [
      ['not json at all', MEDIA_TYPES.ociManifest],
      ['{"schemaVersion": 1}', MEDIA_TYPES.ociManifest],
      ['{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": 5, "layers": "x"}', MEDIA_TYPES.ociManifest],
      ['{"schemaVersion": 2, "manifests": [{"digest": "sha256:zz"}]}', MEDIA_TYPES.ociIndex],
      ['\u0000\u0001\u0002', 'application/octet-stream'],
    ];
    for (const [body, type] of cases) {
      expectError(await env.alice.putManifest(repo, 'broken', { bytes: Buffer.from(body), mediaType: type }));
    }
    expectError(await env.alice.getManifest(repo, 'sha256:'));
    expectError(await env.alice.get(`/v2/${repo}/blobs/not-a-digest`));
    expectError(await env.alice.get(`/v2/${repo}/referrers/not-a-digest`));
  });

  it('unknown media types on manifest PUT are 4xx with an OCI error', async () => {
    const image = randomImage(1);
    for (const blob of image.blobs) await env.alice.pushBlob(repo, blob);
    const res = await env.alice.putManifest(repo, 'odd', image.manifest, 'application/x-unknown-manifest');
    if (res.status >= 400) expectError(res);
    else expectStatus(res, 201);
  });

  it('authentication failures', async () => {
    expectError(await env.anonymous.get('/v2/', { headers: { Authorization: 'Basic !!!not-base64' } }));
    expectError(await env.anonymous.get('/v2/', { headers: { Authorization: 'Bearer' } }));
    expectError(await env.anonymous.get('/v2/', { headers: { Authorization: 'Digest username="x"' } }));
    expectError(await env.anonymous.get(`/v2/${repo}/manifests/v1`));
  });

  it('odd names and paths', async () => {
    expectError(await env.alice.get('/v2/ALICE/Repo/manifests/latest'));
    expectError(await env.alice.get(`/v2/alice/${'a'.repeat(300)}/manifests/latest`));
    expectError(await env.alice.get('/v2/alice/x/manifests/'));
    expectError(await env.alice.get('/v2/alice/%2e%2e/manifests/latest'));
  });
});
