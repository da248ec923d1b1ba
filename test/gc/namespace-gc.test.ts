import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { purgeNamespace } from '../../src/model/gc/purge-namespace.js';
import { WORKERS } from '../../src/workers/index.js';
import { createNamespaceGcWorker } from '../../src/workers/namespace-gc.js';
import { type ApiClient, expectStatus, sessionClient } from '../helpers/api.js';
import { type Blob, imageConfigBlob, imageManifest, randomBlob } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { addTeam, createOrganizationBy, createUsers, namespaceId } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'nsgc-Pa55word!';
const GRACE_S = 3600;

/** Rows that name a namespace, by table and column. */
const NAMESPACE_COLUMNS = [
  ['namespace', 'id'],
  ['repository', 'namespace_id'],
  ['robot', 'owner_id'],
  ['team', 'organization_id'],
  ['team_member', 'member_id'],
  ['repository_permission', 'member_id'],
  ['default_permission', 'organization_id'],
  ['app_token', 'user_id'],
  ['user_session', 'user_id'],
  ['oauth_application', 'namespace_id'],
  ['star', 'user_id'],
  ['notification', 'target_id'],
  ['quota', 'namespace_id'],
  ['quota_namespace_size', 'namespace_id'],
  ['quota_notification_state', 'namespace_id'],
] as const;

/**
 * The namespacegc worker: a deleted user or organization is purged after the grace period, with
 * its repositories (their blobs collected as for a deleted repository) and everything hanging off
 * it; other namespaces keep theirs, and blobs they share stay served.
 */
describe.each(testDialects())('namespace garbage collection (%s)', (dialect) => {
  let registry: TestRegistry;
  let admin: ApiClient;

  function v2(username: string): RegistryClient {
    return new RegistryClient(registry.url, basicAuth(username, PASSWORD));
  }

  function image(layers: Blob[]) {
    const config = imageConfigBlob();
    return { manifest: imageManifest({ config, layers }), blobs: [config, ...layers] };
  }

  async function countNaming(ids: number[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [table, column] of NAMESPACE_COLUMNS) {
      const row = await registry.ctx.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        // biome-ignore lint/suspicious/noExplicitAny: the column differs per table of the list above
        .where(column as any, 'in', ids)
        .executeTakeFirstOrThrow();
      counts[`${table}.${column}`] = Number(row.n);
    }
    return counts;
  }

  async function counterValue(counter: { get(): Promise<{ values: Array<{ value: number }> }> }): Promise<number> {
    return (await counter.get()).values[0]?.value ?? 0;
  }

  async function blobKnown(digest: string): Promise<boolean> {
    const row = await registry.ctx.db.selectFrom('blob').select('id').where('digest', '=', digest).executeTakeFirst();
    return row !== undefined && (await registry.ctx.storage.preferred.stat(digest)) !== null;
  }

  function worker() {
    return createNamespaceGcWorker(registry.ctx, { pollMs: 10 });
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect, overrides: { NAMESPACE_GC_GRACE_PERIOD_SECONDS: GRACE_S } });
    await registry.createUser('admin', PASSWORD, { superuser: true, email: 'admin@example.com' });
    admin = await sessionClient(registry, 'admin');
  });

  afterAll(async () => {
    await registry?.close();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('purges a deleted user and a deleted organization after the grace period; others keep theirs', async () => {
    const { db, metrics } = registry.ctx;
    const suffix = randomBytes(3).toString('hex');
    const [alice, bob, carol] = [`alice${suffix}`, `bob${suffix}`, `carol${suffix}`];
    const [doomedOrg, keptOrg] = [`doomed${suffix}`, `kept${suffix}`];
    await createUsers(registry, [alice, bob, carol], PASSWORD);
    const aliceApi = await sessionClient(registry, alice);
    const bobApi = await sessionClient(registry, bob);
    const carolApi = await sessionClient(registry, carol);

    // alice: two repositories, one sharing a layer with bob's; a robot, a star on bob's repository,
    // an OAuth application, a token; bob lets her read his repository.
    const shared = randomBlob(2048);
    const aliceOnly = [randomBlob(1000), randomBlob(1100)];
    const aliceImage = image([shared, aliceOnly[0]!]);
    await v2(alice).pushImage(`${alice}/app`, 'v1', aliceImage);
    await v2(alice).pushImage(`${alice}/solo`, 'v1', image([aliceOnly[1]!]));
    const bobImage = image([shared]);
    await v2(bob).pushImage(`${bob}/app`, 'v1', bobImage);
    expectStatus(await aliceApi.put('/api/v1/user/robots/builder', {}), 201);
    expectStatus(await bobApi.put(`/api/v1/repository/${bob}/app/permissions/user/${alice}`, { role: 'read' }));
    expectStatus(await aliceApi.post('/api/v1/user/starred', { namespace: bob, repository: 'app' }), 201);
    expectStatus(await aliceApi.post('/api/v1/user/apptoken', { title: 'laptop' }));
    expectStatus(await aliceApi.post('/api/v1/user/starred', { namespace: alice, repository: 'app' }), 201);
    const aliceId = await namespaceId(registry, alice);
    await db
      .insertInto('oauth_application')
      .values({ uuid: randomBytes(8).toString('hex'), namespace_id: aliceId, client_id: randomBytes(8).toString('hex'), name: 'app', created_at: Date.now(), client_secret_encrypted: null, avatar_email: null })
      .execute();
    await db
      .insertInto('notification')
      .values({ uuid: randomBytes(8).toString('hex'), kind: 'test_notification', target_id: aliceId, metadata: '{}', lookup_path: null, created_at: Date.now() })
      .execute();

    // carol's organization: repositories, a team with carol and a robot, a quota; and one she keeps.
    const org = await createOrganizationBy(registry, doomedOrg, carol);
    const kept = await createOrganizationBy(registry, keptOrg, carol);
    const orgOnly = randomBlob(1200);
    await v2(carol).pushImage(`${doomedOrg}/service`, 'v1', image([shared, orgOnly]));
    await v2(carol).pushImage(`${keptOrg}/service`, 'v1', image([randomBlob(600)]));
    expectStatus(await carolApi.put(`/api/v1/organization/${doomedOrg}/robots/deployer`, {}), 201);
    await addTeam(registry, org.id, 'devs', 'member', [carol, `${doomedOrg}+deployer`]);
    await addTeam(registry, kept.id, 'devs', 'member', [carol]);
    await db.insertInto('quota').values({ namespace_id: org.id, limit_bytes: 1 << 30, created_at: Date.now() }).execute();
    await db.insertInto('quota_notification_state').values({ namespace_id: org.id, quota_type: 'Warning', threshold_percent: 80, counted_bytes: 0, notified_at: Date.now() }).execute();

    const robotIds = [await namespaceId(registry, `${alice}+builder`), await namespaceId(registry, `${doomedOrg}+deployer`)];
    const repositoryIds = (await db.selectFrom('repository').select('id').where('namespace_id', 'in', [aliceId, org.id]).execute()).map((r) => r.id);
    expect(repositoryIds).toHaveLength(3);
    const doomed = [aliceId, org.id, ...robotIds];
    const namespacesBefore = await counterValue(metrics.gcNamespacesPurged);
    const reposBefore = await counterValue(metrics.gcReposPurged);

    const deletedAt = Date.now();
    expectStatus(await admin.delete(`/api/v1/superuser/users/${alice}`), 204);
    expectStatus(await carolApi.delete(`/api/v1/organization/${doomedOrg}`), 204);
    const others = [await namespaceId(registry, bob), await namespaceId(registry, carol), kept.id];
    const othersBefore = await countNaming(others);
    expect(othersBefore['repository.namespace_id']).toBe(2);
    // carol's permission on the repository she created in the deleted organization goes with it.
    const onDoomedRepositories = await db
      .selectFrom('repository_permission')
      .select('id')
      .where('member_id', 'in', others)
      .where('repository_id', 'in', repositoryIds)
      .execute();
    expect(onDoomedRepositories).toHaveLength(1);
    // A team created while the organization was being deleted goes too.
    await db.insertInto('team').values({ organization_id: org.id, name: 'late', role: 'member', description: '', created_at: Date.now() }).execute();

    // Within the grace period nothing is purged: the items come back for its end.
    expect(await worker().drain()).toBe(2);
    expect((await countNaming(doomed))['namespace.id']).toBe(2);
    expect((await countNaming(doomed))['repository.namespace_id']).toBe(3);
    const waiting = await db.selectFrom('queue_item').select('available_after').where('queue_name', '=', 'namespacegc').execute();
    expect(waiting).toHaveLength(2);
    for (const item of waiting) expect(Number(item.available_after)).toBeGreaterThanOrEqual(deletedAt + GRACE_S * 1000);
    vi.useFakeTimers({ toFake: ['Date'], now: deletedAt + (GRACE_S - 60) * 1000 });
    expect(await worker().drain()).toBe(0);

    vi.useFakeTimers({ toFake: ['Date'], now: deletedAt + (GRACE_S + 60) * 1000 });
    expect(await worker().drain()).toBe(2);
    vi.useRealTimers();

    const left = await countNaming(doomed);
    expect(Object.entries(left).filter(([, n]) => n > 0)).toEqual([]);
    for (const table of ['tag', 'manifest', 'repository_blob', 'star', 'repository_permission'] as const) {
      const rows = await db.selectFrom(table).select('repository_id').where('repository_id', 'in', repositoryIds).execute();
      expect(rows, table).toEqual([]);
    }
    for (const blob of [...aliceOnly, orgOnly, ...aliceImage.blobs.slice(0, 1)]) expect(await blobKnown(blob.digest), blob.digest).toBe(false);

    // Other namespaces keep all of theirs, and the shared layer is still served from bob's repository.
    expect(await countNaming(others)).toEqual({
      ...othersBefore,
      'repository_permission.member_id': othersBefore['repository_permission.member_id']! - 1,
    });
    expect(await blobKnown(shared.digest)).toBe(true);
    const pulled = await v2(bob).get(`/v2/${bob}/app/blobs/${shared.digest}`);
    expect(pulled.status).toBe(200);
    expect(pulled.body.equals(shared.data)).toBe(true);
    expect((await v2(carol).getManifest(`${keptOrg}/service`, 'v1')).status).toBe(200);

    expect(await counterValue(metrics.gcNamespacesPurged)).toBe(namespacesBefore + 2);
    expect(await counterValue(metrics.gcReposPurged)).toBe(reposBefore + 3);
    // The names are free for new accounts.
    await registry.createUser(alice, PASSWORD, { email: `${alice}@example.com` });
  });

  it('two purges of one namespace running together leave it purged, once', async () => {
    const { db } = registry.ctx;
    const name = `dave${randomBytes(3).toString('hex')}`;
    await createUsers(registry, [name], PASSWORD);
    const layers = [randomBlob(900), randomBlob(950)];
    await v2(name).pushImage(`${name}/one`, 'v1', image([layers[0]!]));
    await v2(name).pushImage(`${name}/two`, 'v1', image([layers[1]!]));
    const id = await namespaceId(registry, name);
    expectStatus(await admin.delete(`/api/v1/superuser/users/${name}`), 204);

    const options = { graceMs: 0 };
    const results = await Promise.all([purgeNamespace(registry.ctx, id, options), purgeNamespace(registry.ctx, id, options)]);
    expect(results.filter((r) => r.status === 'purged')).toHaveLength(1);
    expect(results.map((r) => r.status).sort()).toEqual(['absent', 'purged']);
    expect(await db.selectFrom('repository').select('id').where('namespace_id', '=', id).execute()).toEqual([]);
    expect(await db.selectFrom('namespace').select('id').where('id', '=', id).execute()).toEqual([]);
    for (const blob of layers) expect(await blobKnown(blob.digest)).toBe(false);
  });

  it('an item for a namespace that is not deleted changes nothing', async () => {
    const name = `erin${randomBytes(3).toString('hex')}`;
    await createUsers(registry, [name], PASSWORD);
    const id = await namespaceId(registry, name);
    expect(await purgeNamespace(registry.ctx, id, { graceMs: 0 })).toEqual({ status: 'live' });
    expect(await namespaceId(registry, name)).toBe(id);
  });

  it('the worker starts only with FEATURE_NAMESPACE_GARBAGE_COLLECTION', async () => {
    const definition = WORKERS.find((w) => w.name === 'namespacegc')!;
    const config = { ...registry.ctx.config, FEATURE_NAMESPACE_GARBAGE_COLLECTION: false };
    expect(definition.start({ ...registry.ctx, config, log: pino({ level: 'silent' }) })).toBeUndefined();
    const running = definition.start(registry.ctx);
    expect(running).toBeDefined();
    await running!.stop();
  });
});
