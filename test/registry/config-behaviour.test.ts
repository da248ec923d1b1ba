import { afterEach, describe, expect, it } from 'vitest';
import { basicAuth, errorCodes, RegistryClient } from '../helpers/http.js';
import { blobOf, imageManifest, randomBlob, randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** Registry behaviour that config.yaml switches: write states, visibility on push, anonymous access, media types. */
describe.each(testDialects())('configuration-driven registry behaviour (%s)', (dialect) => {
  let registry: TestRegistry | undefined;

  afterEach(async () => {
    await registry?.close();
    registry = undefined;
  });

  async function start(overrides: Record<string, unknown>) {
    registry = await startTestRegistry({ dialect, overrides });
    await registry.createUser('alice', 'alice-password-1');
    const anonymous = new RegistryClient(registry.url);
    return { anonymous, alice: anonymous.as(basicAuth('alice', 'alice-password-1')) };
  }

  it('REGISTRY_STATE readonly refuses pushes with 405 DENIED and Quay\'s message, but still serves pulls', async () => {
    const { alice } = await start({});
    const image = randomImage(1);
    await alice.pushImage('alice/app', 'v1', image);
    registry!.ctx.config.REGISTRY_STATE = 'readonly';
    const push = await alice.startUpload('alice/app');
    expect(push.status).toBe(405);
    expect(errorCodes(push)).toEqual(['DENIED']);
    expect(push.json()).toMatchObject({
      errors: [{ message: 'System is currently read-only. Pulls will succeed but all write operations are currently suspended.' }],
    });
    const del = await alice.delete('/v2/alice/app/manifests/v1');
    expect(del.status).toBe(405);
    expect((await alice.getManifest('alice/app', 'v1')).status).toBe(200);
  });

  it('DISABLE_PUSHES refuses uploads and manifest writes', async () => {
    const { alice } = await start({ DISABLE_PUSHES: true });
    const res = await alice.uploadSinglePost('alice/app', randomBlob(100));
    expect(res.status).toBe(405);
    expect(res.json()).toMatchObject({ errors: [{ code: 'UNSUPPORTED', message: expect.stringMatching(/disabled/) }] });
  });

  it('DISABLE_PUSHES still lets a writer delete tags, and still serves pulls', async () => {
    const { alice } = await start({});
    await alice.pushImage('alice/app', 'v1', randomImage(1));
    await alice.pushImage('alice/app', 'v2', randomImage(1));
    registry!.ctx.config.DISABLE_PUSHES = true;
    expect((await alice.putManifest('alice/app', 'v3', randomImage(1).manifest)).status).toBe(405);
    expect((await alice.delete('/v2/alice/app/manifests/v1')).status).toBe(202);
    expect((await alice.getManifest('alice/app', 'v1')).status).toBe(404);
    expect((await alice.getManifest('alice/app', 'v2')).status).toBe(200);
  });

  it('CREATE_PRIVATE_REPO_ON_PUSH false creates public repositories that anonymous clients can pull', async () => {
    const { alice, anonymous } = await start({ CREATE_PRIVATE_REPO_ON_PUSH: false });
    const image = randomImage(1);
    await alice.pushImage('alice/open', 'v1', image);
    const pulled = await anonymous.getManifest('alice/open', 'v1');
    expect(pulled.status).toBe(200);
    expect(pulled.body.equals(image.manifest.bytes)).toBe(true);
  });

  it('FEATURE_ANONYMOUS_ACCESS false hides even public repositories from anonymous clients', async () => {
    const { alice, anonymous } = await start({ CREATE_PRIVATE_REPO_ON_PUSH: false, FEATURE_ANONYMOUS_ACCESS: false });
    await alice.pushImage('alice/open', 'v1', randomImage(1));
    const res = await anonymous.getManifest('alice/open', 'v1');
    expect(res.status).toBe(401);
    expect(res.header('www-authenticate')).toMatch(/^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/v2\/auth"/);
    expect((await alice.getManifest('alice/open', 'v1')).status).toBe(200);
  });

  it('FEATURE_GENERAL_OCI_SUPPORT false refuses artifacts such as Helm charts but keeps images', async () => {
    const { alice } = await start({ FEATURE_GENERAL_OCI_SUPPORT: false });
    const config = blobOf('{"name":"chart","version":"1.0.0"}');
    const chart = randomBlob(300);
    await alice.pushBlob('alice/charts', config);
    await alice.pushBlob('alice/charts', chart);
    const helm = imageManifest({
      config,
      configMediaType: 'application/vnd.cncf.helm.config.v1+json',
      layers: [chart],
      layerMediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
    });
    const refused = await alice.putManifest('alice/charts', '1.0.0', helm);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(refused.text()).toContain('application/vnd.cncf.helm.config.v1+json');
    await alice.pushImage('alice/charts', 'image', randomImage(1));
  });

  it('MAXIMUM_LAYER_SIZE refuses larger blobs and stores nothing', async () => {
    const { alice } = await start({ MAXIMUM_LAYER_SIZE: '1K' });
    const big = randomBlob(4096);
    const res = await alice.uploadSinglePost('alice/app', big);
    expect(res.status).toBe(413);
    expect(errorCodes(res)).toEqual(['SIZE_INVALID']);
    expect((await alice.head(`/v2/alice/app/blobs/${big.digest}`)).status).toBe(404);
  });

  it('FEATURE_EXTENDED_REPOSITORY_NAMES false refuses nested names with NAME_INVALID', async () => {
    const { alice } = await start({ FEATURE_EXTENDED_REPOSITORY_NAMES: false });
    const nested = await alice.uploadSinglePost('alice/team/app', randomBlob(64));
    expect(nested.status).toBe(400);
    expect(errorCodes(nested)).toEqual(['NAME_INVALID']);
    expect((await alice.uploadSinglePost('alice/app', randomBlob(64))).status).toBe(201);
  });

  it('FEATURE_REFERRERS_API false answers 404 on the referrers endpoint', async () => {
    const { alice } = await start({ FEATURE_REFERRERS_API: false });
    const image = randomImage(1);
    await alice.pushImage('alice/app', 'v1', image);
    const res = await alice.get(`/v2/alice/app/referrers/${image.manifest.digest}`);
    expect(res.status).toBe(404);
    expect(res.text()).toContain('referrers API is disabled');
  });
});
