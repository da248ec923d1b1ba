import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MetricsServer, startMetricsServer } from '../../src/metrics/server.js';
import { claimQueueItem, enqueue, QUEUE_NAMES } from '../../src/model/queue.js';
import { findRepository } from '../../src/model/repositories.js';
import { markRepositoryForDeletion } from '../../src/model/repository-admin.js';
import { createRobot } from '../../src/model/robots.js';
import { blobOf, imageManifest, MEDIA_TYPES, randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { createOrganizationBy } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient, v2Status } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { matching, type Sample, scrapeSamples, sumOf } from './prometheus-text.js';

/**
 * The Prometheus endpoint after a scripted session against the real app: sign-ins, a push of one
 * image, pulls by tag, by digest and of a missing tag, blob downloads, queued work and account
 * rows. Every count is exact: the registry runs no background workers here, and nothing else
 * touches its database.
 */

const PASSWORD = 'metrics-Pa55word!';
const LAYERS = 3;
const MANIFEST_ROUTE = '/v2/:name/manifests/:reference';

describe.each(testDialects())('metrics scraped over HTTP (%s)', (dialect) => {
  let registry: TestRegistry;
  let endpoint: MetricsServer;
  let samples: Sample[];
  const image = randomImage(LAYERS);
  const goneImage = randomImage(1);
  const blobCount = image.blobs.length + goneImage.blobs.length;
  const pushedBytes = [...image.blobs, ...goneImage.blobs].reduce((total, blob) => total + blob.size, 0);
  const layer = image.blobs[1]!;

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    const { registry: prometheus } = registry.ctx.metrics;
    endpoint = await startMetricsServer(
      { contentType: prometheus.contentType, collect: () => registry.ctx.metrics.render() },
      '127.0.0.1',
      0,
    );
    const { db, secrets } = registry.ctx;
    await registry.createUser('alice', PASSWORD);
    const org = await createOrganizationBy(registry, 'acme', 'alice');
    await createRobot(db, secrets, { owner: org, shortname: 'deployer' });

    // Sign-ins: one failed and one good basic login, then one token request.
    expect(await v2Status(registry, 'alice', 'not-the-password')).toBe(401);
    expect(await v2Status(registry, 'alice', PASSWORD)).toBe(200);
    const client = await new RegistryClient(registry.url, basicAuth('alice', PASSWORD)).withToken([
      'repository:alice/app:pull,push',
      'repository:alice/gone:pull,push',
    ]);

    await client.pushImage('alice/app', 'v1', image);
    // A manifest naming a blob the registry does not hold: a failed push.
    const orphan = imageManifest({ config: blobOf('{"architecture":"amd64","os":"linux"}'), layers: [] });
    expect((await client.putManifest('alice/app', 'broken', orphan)).status).toBe(400);

    const digest = image.manifest.digest;
    expect((await client.getManifest('alice/app', 'v1')).status).toBe(200);
    expect((await client.getManifest('alice/app', digest)).status).toBe(200);
    expect((await client.getManifest('alice/app', 'missing')).status).toBe(404);
    expect((await client.headManifest('alice/app', 'v1')).status).toBe(200);

    const whole = await client.get(`/v2/alice/app/blobs/${layer.digest}`);
    expect(whole.status).toBe(200);
    expect(whole.body.length).toBe(layer.size);
    const part = await client.get(`/v2/alice/app/blobs/${layer.digest}`, { headers: { Range: 'bytes=0-99' } });
    expect(part.status).toBe(206);

    // A second repository, deleted: its row stays until the repositorygc worker runs, uncounted.
    await client.pushImage('alice/gone', 'v1', goneImage);
    const gone = await findRepository(db, { namespace: 'alice', name: 'gone' });
    await markRepositoryForDeletion(db, gone!);

    // Three notification items, one of them claimed by a (pretend) worker.
    for (let i = 0; i < 3; i++) await enqueue(db, 'notification', { marker: i });
    expect(await claimQueueItem(db, registry.ctx.dialect, 'notification', 60_000)).toBeDefined();

    samples = await scrapeSamples(`http://127.0.0.1:${endpoint.port}/metrics`);
  }, 60_000);

  afterAll(async () => {
    await endpoint?.close();
    await registry?.close();
  });

  it('labels every sample with host, pid and process_name', () => {
    expect(samples.length).toBeGreaterThan(50);
    for (const sample of samples) {
      expect(sample.labels['host'], sample.name).toBeTruthy();
      expect(sample.labels['pid'], sample.name).toBe(String(process.pid));
      expect(sample.labels['process_name'], sample.name).toBe('quayside');
    }
  });

  it('counts authentication attempts by kind and outcome', () => {
    expect(sumOf(samples, 'quay_authentication_attempts_total', { auth_kind: 'basic', success: 'False' })).toBe(1);
    expect(sumOf(samples, 'quay_authentication_attempts_total', { auth_kind: 'basic', success: 'True' })).toBe(1);
    expect(sumOf(samples, 'quay_authentication_attempts_total', { auth_kind: 'credentials', success: 'True' })).toBe(1);
  });

  it('counts pulls by reference kind and status; HEAD is not a pull', () => {
    const pulls = (ref: string, status: string) => sumOf(samples, 'quay_registry_image_pulls_total', { protocol: 'v2', ref, status });
    expect(pulls('tag', '200')).toBe(1);
    expect(pulls('manifest', '200')).toBe(1);
    expect(pulls('tag', '404')).toBe(1);
    expect(sumOf(samples, 'quay_registry_image_pulls_total')).toBe(3);
  });

  it('counts pushes by status and media type, and the blob bytes received', () => {
    const pushes = (status: string) =>
      sumOf(samples, 'quay_registry_image_pushes_total', { protocol: 'v2', status, media_type: MEDIA_TYPES.ociManifest });
    // alice/app:v1 and alice/gone:v1.
    expect(pushes('201')).toBe(2);
    expect(pushes('400')).toBe(1);
    expect(sumOf(samples, 'quay_multipart_uploads_started_total')).toBe(blobCount);
    expect(sumOf(samples, 'quay_multipart_uploads_completed_total')).toBe(blobCount);
    expect(sumOf(samples, 'quay_registry_image_pushed_bytes_total')).toBe(pushedBytes);
  });

  it('counts the blob bytes sent, whole and ranged', () => {
    expect(sumOf(samples, 'quay_registry_image_pulled_bytes_total')).toBe(layer.size + 100);
  });

  it('reports account, repository and manifest rows, leaving deleted ones out', () => {
    expect(sumOf(samples, 'quay_user_rows')).toBe(1);
    expect(sumOf(samples, 'quay_org_rows')).toBe(1);
    expect(sumOf(samples, 'quay_robot_rows')).toBe(1);
    expect(sumOf(samples, 'quay_repository_rows')).toBe(1);
    // No scanner yet: every manifest still served is unscanned (alice/app's, and alice/gone's until GC).
    expect(sumOf(samples, 'quay_security_scanning_unscanned_images_remaining')).toBe(2);
  });

  it('reports every queue, with the queued, claimable and leased items', () => {
    const depth = (name: string, queue: string) => sumOf(samples, name, { queue_name: queue });
    for (const queue of QUEUE_NAMES) {
      for (const name of ['quay_queue_items_available', 'quay_queue_items_available_unlocked', 'quay_queue_items_locked']) {
        expect(matching(samples, name, { queue_name: queue }), `${name} ${queue}`).toHaveLength(1);
      }
    }
    expect(depth('quay_queue_items_available', 'notification')).toBe(3);
    expect(depth('quay_queue_items_available_unlocked', 'notification')).toBe(2);
    expect(depth('quay_queue_items_locked', 'notification')).toBe(1);
    expect(depth('quay_queue_items_available', 'repositorygc')).toBe(1);
    expect(depth('quay_queue_items_available_unlocked', 'repositorygc')).toBe(1);
    expect(depth('quay_queue_items_available', 'namespacegc')).toBe(0);
  });

  it('times requests by route pattern, method, status and namespace', () => {
    const counted = (labels: Record<string, string>) => sumOf(samples, 'quay_request_duration_seconds_count', labels);
    expect(counted({ method: 'GET', route: MANIFEST_ROUTE, status: '200', namespace_name: 'alice' })).toBe(2);
    expect(counted({ method: 'HEAD', route: MANIFEST_ROUTE, status: '200', namespace_name: 'alice' })).toBe(1);
    // Failed requests carry no namespace, so made-up names cannot create series.
    expect(counted({ method: 'GET', route: MANIFEST_ROUTE, status: '404', namespace_name: '' })).toBe(1);
    expect(counted({ method: 'PUT', route: '/v2/:name/blobs/uploads/:uuid', status: '201' })).toBe(blobCount);
    expect(counted({ method: 'GET', route: '/v2/auth', status: '200' })).toBe(1);
    const routes = new Set(matching(samples, 'quay_request_duration_seconds_count').map((s) => s.labels['route']));
    for (const route of routes) expect(route).not.toMatch(/alice|sha256|v1$/);
  });

  it('reuses row counts between close scrapes, and reads queue depths every time', async () => {
    await registry.createUser('bob', PASSWORD);
    await enqueue(registry.ctx.db, 'notification', { marker: 'late' });
    const again = await scrapeSamples(`http://127.0.0.1:${endpoint.port}/metrics`);
    expect(sumOf(again, 'quay_user_rows')).toBe(1);
    expect(sumOf(again, 'quay_queue_items_available', { queue_name: 'notification' })).toBe(4);
  });
});
