import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { QUOTA_RECOUNT_DELAY_MS, requestQuotaRecount } from '../../src/model/quota-recount.js';
import { GarbageCollector } from '../../src/workers/gc.js';
import { backfillQuotaTotals, createQuotaTotalsWorkers } from '../../src/workers/quota-totals.js';
import { type ApiClient, expectApiError, expectStatus, sessionClient } from '../helpers/api.js';
import { type Blob, imageConfigBlob, imageManifest, randomBlob } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { addTeam, createOrganizationBy, createUsers, namespaceId } from '../helpers/fixtures.js';
import { basicAuth, errorBody, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/**
 * Namespace quotas end to end: quotas and limits through the API, sizes kept by the quotatotal
 * worker from real pushes, and pushes refused over the Reject threshold on /v2/.
 */

const PASSWORD = 'quota-Pa55word!';
const SYSTEM_DEFAULT_REJECT = 400_000;

function image(layers: Blob[], architecture = 'amd64') {
  const config = imageConfigBlob(architecture);
  return { manifest: imageManifest({ config, layers }), blobs: [config, ...layers] };
}

/** Bytes of the distinct blobs among these images. */
function distinctBytes(...images: { blobs: Blob[] }[]): number {
  const sizes = new Map<string, number>();
  for (const img of images) for (const blob of img.blobs) sizes.set(blob.digest, blob.data.length);
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}

/** Runs the quotatotal worker as it runs now, before the recount delay has passed. */
async function drainTotalsNow(registry: TestRegistry): Promise<number> {
  return createQuotaTotalsWorkers(registry.ctx).queue.drain();
}

/** Runs the quotatotal worker with the clock moved past the recount delay. */
async function drainTotals(registry: TestRegistry): Promise<number> {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + QUOTA_RECOUNT_DELAY_MS, shouldAdvanceTime: true });
  try {
    return await drainTotalsNow(registry);
  } finally {
    vi.useRealTimers();
  }
}

async function storedSize(registry: TestRegistry, namespace: string): Promise<number | undefined> {
  const row = await registry.ctx.db
    .selectFrom('quota_namespace_size')
    .select('size_bytes')
    .where('namespace_id', '=', await namespaceId(registry, namespace))
    .executeTakeFirst();
  return row ? Number(row.size_bytes) : undefined;
}

/** Kinds of the in-app notifications addressed to the namespace. */
async function notificationKinds(registry: TestRegistry, namespace: string): Promise<string[]> {
  const rows = await registry.ctx.db
    .selectFrom('notification')
    .select('kind')
    .where('target_id', '=', await namespaceId(registry, namespace))
    .orderBy('id')
    .execute();
  return rows.map((r) => r.kind);
}

async function quotaItems(registry: TestRegistry): Promise<number> {
  const rows = await registry.ctx.db.selectFrom('queue_item').select('id').where('queue_name', '=', 'quotatotal').execute();
  return rows.length;
}

describe.each(testDialects())('namespace quotas (%s)', (dialect) => {
  let registry: TestRegistry;
  let root: ApiClient;
  let alice: ApiClient;
  let bob: ApiClient;
  let carol: ApiClient;
  let pusher: RegistryClient;

  const shared = randomBlob(30_000);
  const one = image([shared, randomBlob(20_000)], 'amd64');
  const two = image([shared, randomBlob(10_000)], 'arm64');
  const smallImage = image([shared, randomBlob(5_000)], 'ppc64le');

  beforeAll(async () => {
    registry = await startTestRegistry({
      dialect,
      overrides: {
        FEATURE_QUOTA_MANAGEMENT: true,
        SUPER_USERS: ['root'],
        FEATURE_SUPERUSERS_FULL_ACCESS: true,
        DEFAULT_SYSTEM_REJECT_QUOTA_BYTES: SYSTEM_DEFAULT_REJECT,
        FEATURE_QUOTA_NOTIFICATIONS: true,
      },
    });
    await createUsers(registry, ['root', 'alice', 'bob', 'carol'], PASSWORD);
    const acme = await createOrganizationBy(registry, 'acme', 'alice');
    await addTeam(registry, acme.id, 'readers', 'member', ['bob']);
    await createOrganizationBy(registry, 'spare', 'alice');
    root = await sessionClient(registry, 'root');
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    carol = await sessionClient(registry, 'carol');
    pusher = new RegistryClient(registry.url, basicAuth('alice', PASSWORD));
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('lets superusers, not organization members or administrators, create quotas and limits', async () => {
    expectApiError(await bob.post('/api/v1/organization/acme/quota', { limit_bytes: 1_000_000 }), 403);
    expectApiError(await alice.post('/api/v1/organization/acme/quota', { limit_bytes: 1_000_000 }), 403);
    expectApiError(await alice.post('/api/v1/superuser/organization/acme/quota', { limit_bytes: 1_000_000 }), 403);

    expectStatus(await root.post('/api/v1/superuser/organization/acme/quota', { limit_bytes: 1_000_000 }), 201);
    expectApiError(await root.post('/api/v1/organization/acme/quota', { limit: '2 MiB' }), 400, /already exists/);

    const list = await bob.get('/api/v1/organization/acme/quota');
    expectStatus(list);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ limit_bytes: 1_000_000, limit: '976.6 KiB', default_config: false, limits: [] });
    const quotaId = list.body[0].id as number;

    expectApiError(await bob.post(`/api/v1/organization/acme/quota/${quotaId}/limit`, { type: 'Reject', threshold_percent: 100 }), 403);
    expectStatus(await root.post(`/api/v1/organization/acme/quota/${quotaId}/limit`, { type: 'Warning', threshold_percent: 80 }), 201);
    expectStatus(await root.post(`/api/v1/organization/acme/quota/${quotaId}/limit`, { type: 'reject', threshold_percent: 100 }), 201);
    expectApiError(
      await root.post(`/api/v1/organization/acme/quota/${quotaId}/limit`, { type: 'Reject', threshold_percent: 100 }),
      400,
      /already exists/,
    );
    const limits = await bob.get(`/api/v1/organization/acme/quota/${quotaId}/limit`);
    expectStatus(limits);
    expect(limits.body).toEqual([
      { id: expect.any(Number), type: 'Warning', limit_percent: 80 },
      { id: expect.any(Number), type: 'Reject', limit_percent: 100 },
    ]);
    const logged = await registry.ctx.db.selectFrom('log_entry').select('kind').where('kind', 'like', 'org_%quota%').execute();
    expect(logged.map((r) => r.kind).sort()).toEqual(['org_create_quota', 'org_create_quota_limit', 'org_create_quota_limit']);
  });

  it('answers bad input with 400 and unknown quotas with 404', async () => {
    expectApiError(await root.post('/api/v1/superuser/organization/spare/quota', { limit_bytes: -5 }), 400, /Invalid quota size/);
    expectApiError(await root.post('/api/v1/superuser/organization/spare/quota', { limit: 'lots' }), 400);
    expectApiError(await root.post('/api/v1/superuser/organization/spare/quota', {}), 400);
    const quotaId = (await root.get('/api/v1/organization/acme/quota')).body[0].id as number;
    const base = `/api/v1/organization/acme/quota/${quotaId}/limit`;
    expectApiError(await root.post(base, { type: 'Warning', threshold_percent: 150 }), 400, /between 1 and 100/);
    expectApiError(await root.post(base, { type: 'Bogus', threshold_percent: 50 }), 400, /Quota type must be one of/);
    expectApiError(await root.get('/api/v1/organization/acme/quota/999999'), 404);
    expectApiError(await root.get(`${base}/999999`), 404);
  });

  it('shows the system default reject size for an organization without a quota', async () => {
    const res = await alice.get('/api/v1/organization/spare/quota');
    expectStatus(res);
    expect(res.body).toEqual([expect.objectContaining({ limit_bytes: SYSTEM_DEFAULT_REJECT, default_config: true, limits: [] })]);
  });

  it('counts distinct manifest blobs: a shared layer once for the namespace, once in each repository', async () => {
    await pusher.pushImage('acme/one', 'v1', one);
    await pusher.pushImage('acme/two', 'v1', two);
    // Uploaded but referenced by no manifest: counts nowhere.
    await pusher.pushBlob('acme/one', randomBlob(5_000));
    // Both pushes wait in one recount, which no worker may take before the delay has passed.
    expect(await quotaItems(registry)).toBe(1);
    const item = await registry.ctx.db.selectFrom('queue_item').select('available_after').where('queue_name', '=', 'quotatotal').executeTakeFirstOrThrow();
    expect(Number(item.available_after)).toBeGreaterThan(Date.now() + QUOTA_RECOUNT_DELAY_MS / 2);
    expect(await drainTotalsNow(registry)).toBe(0);
    expect(await drainTotals(registry)).toBe(1);

    const repos = await alice.get('/api/v1/repository?namespace=acme');
    expectStatus(repos);
    const reports = Object.fromEntries(repos.body.repositories.map((r: { name: string; quota_report: unknown }) => [r.name, r.quota_report]));
    expect(reports).toEqual({
      one: { quota_bytes: distinctBytes(one), configured_quota: 1_000_000 },
      two: { quota_bytes: distinctBytes(two), configured_quota: 1_000_000 },
    });
    const org = await bob.get('/api/v1/organization/acme');
    expectStatus(org);
    expect(org.body.quota_report).toEqual({
      quota_bytes: distinctBytes(one, two),
      configured_quota: 1_000_000,
      running_backfill: 'complete',
      backfill_status: 'complete',
    });
    expect(distinctBytes(one, two)).toBeLessThan(distinctBytes(one) + distinctBytes(two));
    expect(org.body.quotas).toEqual([expect.objectContaining({ limit_bytes: 1_000_000 })]);
  });

  it('refuses a push whose new blobs reach the Reject limit, with 403 DENIED and no tag', async () => {
    const used = distinctBytes(one, two);
    const quotaId = (await root.get('/api/v1/organization/acme/quota')).body[0].id as number;
    expectStatus(await root.put(`/api/v1/organization/acme/quota/${quotaId}`, { limit_bytes: used + 15_000 }));

    const big = image([shared, randomBlob(20_000)], 's390x');
    for (const blob of big.blobs) await pusher.pushBlob('acme/three', blob);
    const refused = await pusher.putManifest('acme/three', 'big', big.manifest);
    expect(refused.status, refused.describe()).toBe(403);
    const error = errorBody(refused)?.errors[0];
    expect(error?.code).toBe('DENIED');
    expect(error?.message).toMatch(/^Quota has been exceeded on namespace acme: /);
    expect((await pusher.request('GET', '/v2/acme/three/manifests/big')).status).toBe(404);
    // The organization is told once, however often pushes are refused.
    expect((await pusher.putManifest('acme/three', 'big', big.manifest)).status).toBe(403);
    expect(await notificationKinds(registry, 'acme')).toEqual(['quota_error']);

    // The shared layer and config are counted already: only the small new layer adds up.
    await pusher.pushImage('acme/three', 'small', smallImage);
    expect((await pusher.request('GET', '/v2/acme/three/manifests/small')).status).toBe(200);
  });

  it('notifies a Warning threshold once when a recount reaches it', async () => {
    // Used is now over 80% of the quota set above.
    expect(await drainTotals(registry)).toBe(1);
    expect(await notificationKinds(registry, 'acme')).toEqual(['quota_error', 'quota_warning']);
    await requestQuotaRecount(registry.ctx.db, await namespaceId(registry, 'acme'));
    expect(await drainTotals(registry)).toBe(1);
    expect(await notificationKinds(registry, 'acme')).toEqual(['quota_error', 'quota_warning']);
  });

  it('keeps a refused push\'s quota_error across recounts that leave out the refused blobs', async () => {
    const big = image([shared, randomBlob(20_000)], 's390x');
    for (const blob of big.blobs) await pusher.pushBlob('acme/three', blob);
    expect((await pusher.putManifest('acme/three', 'big', big.manifest)).status).toBe(403);
    expect(await notificationKinds(registry, 'acme')).toEqual(['quota_error', 'quota_warning']);
  });

  it('notifies a Warning and a Reject limit at the same percentage separately, once per crossing', async () => {
    await createOrganizationBy(registry, 'tight', 'alice');
    const tight = image([randomBlob(40_000)], 'mips');
    await pusher.pushImage('tight/app', 'v1', tight);
    const size = distinctBytes(tight);
    expectStatus(await root.post('/api/v1/superuser/organization/tight/quota', { limit_bytes: size + 1_000 }), 201);
    const quotaId = (await root.get('/api/v1/organization/tight/quota')).body[0].id as number;
    for (const type of ['Warning', 'Reject']) {
      expectStatus(await root.post(`/api/v1/organization/tight/quota/${quotaId}/limit`, { type, threshold_percent: 90 }), 201);
    }
    await drainTotals(registry);
    expect((await notificationKinds(registry, 'tight')).sort()).toEqual(['quota_error', 'quota_warning']);

    const more = image([randomBlob(3_000)], 'sparc');
    for (const blob of more.blobs) await pusher.pushBlob('tight/app', blob);
    expect((await pusher.putManifest('tight/app', 'v2', more.manifest)).status).toBe(403);
    expect(await notificationKinds(registry, 'tight')).toHaveLength(2);

    // Back under both limits, then over the Reject limit again: a new crossing, a new quota_error.
    expectStatus(await alice.delete('/api/v1/repository/tight/app'), 204);
    await drainTotals(registry);
    expect(await storedSize(registry, 'tight')).toBe(0);
    const again = image([randomBlob(size)], 'sparc64');
    for (const blob of again.blobs) await pusher.pushBlob('tight/other', blob);
    expect((await pusher.putManifest('tight/other', 'v1', again.manifest)).status).toBe(403);
    expect((await notificationKinds(registry, 'tight')).sort()).toEqual(['quota_error', 'quota_error', 'quota_warning']);
  });

  it('recounts after a repository is deleted through the API', async () => {
    const before = (await bob.get('/api/v1/organization/acme')).body.quota_report.quota_bytes as number;
    expectStatus(await alice.delete('/api/v1/repository/acme/two'), 204);
    expect(await drainTotals(registry)).toBe(1);
    const after = (await bob.get('/api/v1/organization/acme')).body.quota_report.quota_bytes as number;
    const onlyInTwo = two.blobs.filter((b) => !one.blobs.some((o) => o.digest === b.digest));
    expect(before - after).toBe(onlyInTwo.reduce((sum, b) => sum + b.data.length, 0));
  });

  it('recounts after garbage collection removes a deleted tag\'s manifest', async () => {
    const acmeId = await namespaceId(registry, 'acme');
    await registry.ctx.db.updateTable('namespace').set({ removed_tag_expiration_s: 0 }).where('id', '=', acmeId).execute();
    await drainTotals(registry);
    const before = (await bob.get('/api/v1/organization/acme')).body.quota_report.quota_bytes as number;
    expectStatus(await alice.delete('/api/v1/repository/acme/three/tag/small'), 204);
    // Ended a minute ago, so it is past the zero-second time-machine window whatever the clock's resolution.
    await registry.ctx.db
      .updateTable('tag')
      .set((eb) => ({ lifetime_start_ms: eb('lifetime_start_ms', '-', 60_000), lifetime_end_ms: eb('lifetime_end_ms', '-', 60_000) }))
      .where('name', '=', 'small')
      .where('lifetime_end_ms', 'is not', null)
      .execute();
    // And pushed long enough ago for the push hold (PUSH_TEMP_TAG_EXPIRATION_SEC) to have run out.
    const holdMs = registry.ctx.config.PUSH_TEMP_TAG_EXPIRATION_SEC * 1000;
    await registry.ctx.db
      .updateTable('manifest')
      .set((eb) => ({ pushed_at: eb('pushed_at', '-', holdMs + 60_000) }))
      .where('digest', '=', smallImage.manifest.digest)
      .execute();
    const report = await new GarbageCollector(registry.ctx).run();
    expect(report.manifestsDeleted).toBe(1);
    expect(await drainTotals(registry)).toBe(1);
    const after = (await bob.get('/api/v1/organization/acme')).body.quota_report.quota_bytes as number;
    // The small image's config and own layer go; the shared layer stays, held by acme/one.
    expect(before - after).toBe(smallImage.blobs.filter((b) => b.digest !== shared.digest).reduce((sum, b) => sum + b.data.length, 0));
  });

  it('applies DEFAULT_SYSTEM_REJECT_QUOTA_BYTES to a namespace without a quota', async () => {
    const carolPush = new RegistryClient(registry.url, basicAuth('carol', PASSWORD));
    const huge = image([randomBlob(SYSTEM_DEFAULT_REJECT + 1_000)], 'riscv64');
    for (const blob of huge.blobs) await carolPush.pushBlob('carol/app', blob);
    expect(await storedSize(registry, 'carol')).toBeUndefined();
    const refused = await carolPush.putManifest('carol/app', 'huge', huge.manifest);
    expect(refused.status, refused.describe()).toBe(403);
    expect(errorBody(refused)?.errors[0]?.message).toMatch(/^Quota has been exceeded on namespace carol: /);
    // Counted on the spot, once: the next check reads the stored size.
    expect(await storedSize(registry, 'carol')).toBe(0);
    await carolPush.pushImage('carol/app', 'small', image([randomBlob(2_000)], 'mips64le'));
    // The default Reject limit notified once; the recount after the small push does not reset it
    // but remembers the larger size, so only freeing space starts a new crossing.
    await drainTotals(registry);
    expect((await carolPush.putManifest('carol/app', 'huge', huge.manifest)).status).toBe(403);
    expect(await notificationKinds(registry, 'carol')).toEqual(['quota_error']);
    const claim = await registry.ctx.db
      .selectFrom('quota_notification_state')
      .select(['quota_type', 'counted_bytes'])
      .where('namespace_id', '=', await namespaceId(registry, 'carol'))
      .executeTakeFirstOrThrow();
    expect(claim.quota_type).toBe('Reject');
    expect(Number(claim.counted_bytes)).toBe(await storedSize(registry, 'carol'));
    expect(Number(claim.counted_bytes)).toBeGreaterThan(2_000);
  });

  it('backfills namespaces never counted', async () => {
    const carolId = await namespaceId(registry, 'carol');
    await registry.ctx.db.deleteFrom('quota_namespace_size').where('namespace_id', '=', carolId).execute();
    await registry.ctx.db.deleteFrom('queue_item').where('queue_name', '=', 'quotatotal').execute();
    expect(await backfillQuotaTotals(registry.ctx)).toBeGreaterThan(0);
    const row = await registry.ctx.db
      .selectFrom('quota_namespace_size')
      .select('size_bytes')
      .where('namespace_id', '=', carolId)
      .executeTakeFirstOrThrow();
    expect(Number(row.size_bytes)).toBeGreaterThan(2_000);
    expect(await backfillQuotaTotals(registry.ctx)).toBe(0);
  });

  it('changes and deletes limits and quotas, logging each change', async () => {
    const base = '/api/v1/organization/spare/quota';
    expectStatus(await root.post(base, { limit_bytes: 2_000_000 }), 201);
    const quotaId = (await root.get(base)).body[0].id as number;
    expectStatus(await root.post(`${base}/${quotaId}/limit`, { type: 'Warning', threshold_percent: 50 }), 201);
    const limitId = (await root.get(`${base}/${quotaId}/limit`)).body[0].id as number;
    expectApiError(await alice.put(`${base}/${quotaId}/limit/${limitId}`, { threshold_percent: 60 }), 403);
    const changed = await root.put(`${base}/${quotaId}/limit/${limitId}`, { threshold_percent: 60, type: 'Reject' });
    expectStatus(changed);
    expect(changed.body.limits).toEqual([{ id: limitId, type: 'Reject', limit_percent: 60 }]);
    const resized = await root.put(`${base}/${quotaId}`, { limit: '3 MiB' });
    expectStatus(resized);
    expect(resized.body).toMatchObject({ id: quotaId, limit_bytes: 3 * 1024 * 1024, limit: '3.0 MiB' });
    expectStatus(await root.delete(`${base}/${quotaId}/limit/${limitId}`), 204);
    expectApiError(await root.get(`${base}/${quotaId}/limit/${limitId}`), 404);
    expectStatus(await root.delete(`${base}/${quotaId}`), 204);
    expect((await root.get(base)).body).toEqual([expect.objectContaining({ default_config: true, id: null })]);
    const spareId = await namespaceId(registry, 'spare');
    const logged = await registry.ctx.db.selectFrom('log_entry').select('kind').where('account_id', '=', spareId).orderBy('id').execute();
    expect(logged.map((r) => r.kind)).toEqual([
      'org_create_quota',
      'org_create_quota_limit',
      'org_change_quota_limit',
      'org_change_quota',
      'org_delete_quota_limit',
      'org_delete_quota',
    ]);
  });

  it("shows users their own quota, read-only", async () => {
    expectStatus(await root.post('/api/v1/superuser/users/carol/quota', { limit: '5 MiB' }), 201);
    const own = await carol.get('/api/v1/user/quota');
    expectStatus(own);
    expect(own.body).toEqual([expect.objectContaining({ limit_bytes: 5 * 1024 * 1024, limit: '5.0 MiB', limits: [] })]);
    expectStatus(await carol.get(`/api/v1/user/quota/${own.body[0].id}/limit`));
    expectApiError(await carol.post('/api/v1/organization/acme/quota', { limit_bytes: 1 }), 403);
    const superView = await root.get('/api/v1/superuser/users/carol/quota');
    expectStatus(superView);
    expect(superView.body[0].id).toBe(own.body[0].id);
    const account = await carol.get('/api/v1/user/');
    expectStatus(account);
    expect(account.body.quotas).toEqual([expect.objectContaining({ limit_bytes: 5 * 1024 * 1024 })]);
    expect(account.body.quota_report).toMatchObject({ configured_quota: 5 * 1024 * 1024 });
    expect(typeof account.body.quota_report.quota_bytes).toBe('number');
    expect((await root.get('/api/v1/users/carol')).body).not.toHaveProperty('quota_report');
    expectStatus(await root.delete(`/api/v1/superuser/users/carol/quota/${own.body[0].id}`), 204);
    expect((await carol.get('/api/v1/user/quota')).body).toEqual([]);
  });
});

describe.each(testDialects())('namespace quotas with FEATURE_QUOTA_MANAGEMENT off (%s)', (dialect) => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect, overrides: { SUPER_USERS: ['root'] } });
    await createUsers(registry, ['root', 'alice'], PASSWORD);
    await createOrganizationBy(registry, 'acme', 'alice');
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('hides the endpoints and reports, and queues nothing on push', async () => {
    const root = await sessionClient(registry, 'root');
    expectApiError(await root.get('/api/v1/organization/acme/quota'), 404);
    expectApiError(await root.post('/api/v1/superuser/organization/acme/quota', { limit_bytes: 1000 }), 404);
    expectApiError(await root.get('/api/v1/user/quota'), 404);
    await new RegistryClient(registry.url, basicAuth('alice', PASSWORD)).pushImage('acme/app', 'v1', image([randomBlob(1_000)]));
    expect(await quotaItems(registry)).toBe(0);
    const alice = await sessionClient(registry, 'alice');
    const repos = await alice.get('/api/v1/repository?namespace=acme');
    expect(repos.body.repositories[0]).not.toHaveProperty('quota_report');
    const org = await alice.get('/api/v1/organization/acme');
    expect(org.body).not.toHaveProperty('quota_report');
    expect(org.body).not.toHaveProperty('quotas');
    expect((await alice.get('/api/v1/user/')).body).not.toHaveProperty('quota_report');
  });
});

describe.each(testDialects())('namespace quotas without FEATURE_SUPERUSERS_FULL_ACCESS (%s)', (dialect) => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect, overrides: { FEATURE_QUOTA_MANAGEMENT: true, SUPER_USERS: ['root'] } });
    await createUsers(registry, ['root', 'alice'], PASSWORD);
    await createOrganizationBy(registry, 'acme', 'alice');
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('still lets a superuser create a quota and its Reject limit, and still refuses the organization admin', async () => {
    const root = await sessionClient(registry, 'root');
    const alice = await sessionClient(registry, 'alice');
    expectApiError(await alice.post('/api/v1/organization/acme/quota', { limit_bytes: 5_000 }), 403);
    expectStatus(await root.post('/api/v1/organization/acme/quota', { limit_bytes: 5_000 }), 201);
    const quotaId = (await root.get('/api/v1/organization/acme/quota')).body[0].id as number;
    expectApiError(await alice.post(`/api/v1/organization/acme/quota/${quotaId}/limit`, { type: 'Reject', threshold_percent: 100 }), 403);
    expectStatus(await root.post(`/api/v1/organization/acme/quota/${quotaId}/limit`, { type: 'Reject', threshold_percent: 100 }), 201);
    const limits = (await alice.get(`/api/v1/organization/acme/quota/${quotaId}/limit`)).body as Array<{ type: string }>;
    expect(limits.map((l) => l.type)).toEqual(['Reject']);
  });
});
