import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../src/context.js';
import { nowMs } from '../../src/model/clock.js';
import { liveTagDigests } from '../../src/model/mirror-tags.js';
import type { Namespace } from '../../src/model/namespaces.js';
import { createOrganization } from '../../src/model/organizations.js';
import {
  cancelActiveMirrorSync,
  createMirrorConfig,
  findMirrorConfig,
  type MirrorConfigChanges,
  type MirrorRegistryConfig,
  MIRROR_SYNC_RETRIES,
  requestMirrorSyncNow,
  updateMirrorConfig,
} from '../../src/model/repo-mirror.js';
import { ensureRepository, type RepositoryWithNamespace } from '../../src/model/repositories.js';
import { createRobot, type Robot } from '../../src/model/robots.js';
import { findNamespace } from '../../src/model/namespaces.js';
import { RepoMirrorWorker } from '../../src/workers/repo-mirror.js';
import { requireClient, runOk } from '../helpers/clients.js';
import { testDialects } from '../helpers/databases.js';
import { type Distribution, distributionAvailable, startDistribution } from '../helpers/distribution.js';
import { freePort } from '../helpers/free-port.js';
import { createImageLayout, createMultiArchLayout, type LayoutImage, type LayoutIndex, sha256Digest } from '../helpers/oci-layout.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { type Relay, startRelay } from './relay.js';

const skopeo = requireClient('skopeo');
const PASSWORD = 'mirror-Pa55word!';
const REMOTE_USER = { username: 'remote-user', password: 'remote-secret' };

function registryTls(insecure: boolean): MirrorRegistryConfig {
  return { verify_tls: !insecure, unsigned_images: false, proxy: { http_proxy: null, https_proxy: null, no_proxy: null } };
}

/**
 * The repomirror worker against real registries: CNCF Distribution as the remote (plain, htpasswd,
 * TLS with a test CA), skopeo to fill it and to pull the mirrored images back from Quayside, and a
 * relay in front of Distribution to play a broken or slow remote.
 */
describe.skipIf(!skopeo || !distributionAvailable()).each(testDialects())('repository mirror sync (%s)', (dialect) => {
  const bin = skopeo!;
  let registry: TestRegistry;
  let plain: Distribution;
  let authed: Distribution;
  let tls: Distribution;
  let relay: Relay;
  let work: string;
  let acme: Namespace;
  let robot: Robot;
  let imageA: LayoutImage;
  let imageB: LayoutImage;
  let imageC: LayoutImage;
  let multi: LayoutIndex;
  const mirrors: RepositoryWithNamespace[] = [];

  beforeAll(async () => {
    work = path.join(tmpdir(), `quayside-mirror-${randomBytes(6).toString('hex')}`);
    await mkdir(work, { recursive: true });
    [registry, plain, authed, tls] = await Promise.all([
      startTestRegistry({ dialect, overrides: { FEATURE_REPO_MIRROR: true, SSRF_ALLOWED_HOSTS: ['127.0.0.1'] } }),
      startDistribution(),
      startDistribution({ auth: REMOTE_USER }),
      startDistribution({ tls: true }),
    ]);
    relay = await startRelay(plain.origin);
    await registry.createUser('alice', PASSWORD);
    const alice = (await findNamespace(registry.ctx.db, 'alice'))!;
    acme = await createOrganization(registry.ctx.db, registry.ctx.config, { name: 'acme', creatorId: alice.id });
    robot = await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: acme, shortname: 'mirror' });
    [imageA, imageB, imageC, multi] = await Promise.all([
      createImageLayout(path.join(work, 'a'), { seed: `mirror-a-${dialect}`, tag: 'v1' }),
      createImageLayout(path.join(work, 'b'), { seed: `mirror-b-${dialect}`, tag: 'v1', layers: 2 }),
      createImageLayout(path.join(work, 'c'), { seed: `mirror-c-${dialect}`, tag: 'v1' }),
      createMultiArchLayout(path.join(work, 'multi'), { seed: `mirror-multi-${dialect}`, tag: 'v1' }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([registry?.close(), plain?.stop(), authed?.stop(), tls?.stop(), relay?.close()]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  // Each test syncs its own mirrors only: those of earlier tests stop being due.
  afterEach(async () => {
    relay.corruptTags.clear();
    relay.blobDelayMs = 0;
    relay.truncateBlobs = false;
    for (const repo of mirrors.splice(0)) {
      await cancelActiveMirrorSync(registry.ctx.db, repo.id);
      await updateMirrorConfig(registry.ctx.db, registry.ctx.secrets, repo.id, { isEnabled: false });
    }
  });

  const digestOf = (image: LayoutImage | LayoutIndex) => ('image' in image ? image.image.manifestDescriptor.digest : image.indexDescriptor.digest);

  async function push(remote: Distribution, image: LayoutImage | LayoutIndex, target: string): Promise<void> {
    await runOk(bin, ['copy', '--all', '--preserve-digests', ...remote.skopeoDestFlags(), image.ref, `docker://${remote.host}/${target}`]);
  }

  async function removeRemoteTag(remote: Distribution, target: string): Promise<void> {
    await runOk(bin, ['delete', ...remote.skopeoSrcFlags().map((f) => f.replace('--src-', '--')), `docker://${remote.host}/${target}`]);
  }

  async function createMirror(
    name: string,
    changes: Omit<MirrorConfigChanges, 'robotId'> & { externalReference: string; tagPatterns: string[] },
  ): Promise<RepositoryWithNamespace> {
    const repo = await ensureRepository(registry.ctx.db, acme.id, { namespace: 'acme', name }, 'private');
    // Distribution and the relay speak plain HTTP, which only an unverified mirror falls back to.
    const registryConfig = changes.registryConfig ?? registryTls(!changes.externalReference.startsWith(`${tls.host}/`));
    // as the API does: the MIRROR state, and write permission for the robot
    await createMirrorConfig(
      registry.ctx.db,
      registry.ctx.secrets,
      repo.id,
      { robotId: robot.id, syncIntervalSeconds: 3600, registryConfig, ...changes },
      nowMs(),
    );
    mirrors.push(repo);
    return repo;
  }

  function worker(overrides: Partial<AppContext['config']> = {}): RepoMirrorWorker {
    return new RepoMirrorWorker({ ...registry.ctx, config: { ...registry.ctx.config, ...overrides } });
  }

  async function tagsOf(repo: RepositoryWithNamespace): Promise<Record<string, string>> {
    return Object.fromEntries([...(await liveTagDigests(registry.ctx.db, repo.id))].sort());
  }

  async function mirrorState(repo: RepositoryWithNamespace) {
    return (await findMirrorConfig(registry.ctx.db, repo.id))!;
  }

  async function logKinds(repo: RepositoryWithNamespace): Promise<Array<{ kind: string; metadata: Record<string, unknown> }>> {
    const page = await registry.ctx.usageLogs.listPage({ startMs: 0, endMs: nowMs() + 60_000, repositoryId: repo.id }, undefined, 500);
    return page.entries.reverse().map((e) => ({ kind: e.kind, metadata: e.metadata }));
  }

  /** Runs the worker once and checks how the mirror's sync ended, showing its message when it is not the one expected. */
  async function expectSync(w: RepoMirrorWorker, repo: RepositoryWithNamespace, expected: string): Promise<void> {
    const outcome = (await w.runOnce()).get(repo.id);
    expect(outcome, (await mirrorState(repo)).lastSyncMessage ?? '').toBe(expected);
  }

  async function pulledDigest(reference: string): Promise<string> {
    const raw = await runOk(bin, ['inspect', '--raw', '--tls-verify=false', '--creds', `alice:${PASSWORD}`, `docker://${registry.host}/${reference}`]);
    return sha256Digest(raw.stdout);
  }

  it('mirrors the tags the patterns match, an image index included, and skopeo pulls them back at the same digests', async () => {
    await push(plain, imageA, 'upstream/app:v1');
    await push(plain, multi, 'upstream/app:multi');
    await push(plain, imageB, 'upstream/app:other-1');
    const repo = await createMirror('app', { externalReference: `${plain.host}/upstream/app`, tagPatterns: ['v*', 'mult?'] });

    const outcomes = await worker().runOnce();

    expect(outcomes.get(repo.id), (await mirrorState(repo)).lastSyncMessage ?? '').toBe('SUCCESS');
    expect(await tagsOf(repo)).toEqual({ multi: digestOf(multi), v1: digestOf(imageA) });
    const state = await mirrorState(repo);
    expect(state.syncStatus).toBe('SUCCESS');
    expect(state.lastSyncMessage).toMatch(/synced 2 tags/);
    expect(state.syncStartDate).toBeGreaterThan(nowMs());
    expect(await pulledDigest('acme/app:v1')).toBe(digestOf(imageA));
    expect(await pulledDigest('acme/app:multi')).toBe(digestOf(multi));
    // every blob of every platform is served: skopeo verifies each digest while it copies
    const copy = path.join(work, 'pulled-multi');
    await runOk(bin, ['copy', '--all', '--src-tls-verify=false', '--src-creds', `alice:${PASSWORD}`, `docker://${registry.host}/acme/app:multi`, `oci:${copy}:multi`]);
    const logs = await logKinds(repo);
    expect(logs.map((l) => l.kind).filter((k) => k.startsWith('repo_mirror_'))).toEqual([
      'repo_mirror_sync_started',
      'repo_mirror_sync_tag_success',
      'repo_mirror_sync_tag_success',
      'repo_mirror_sync_success',
    ]);
    expect(logs[0]!.metadata).toMatchObject({ verb: 'start', namespace: 'acme', repo: 'app' });
    expect(logs[0]!.metadata).not.toHaveProperty('tags');
    expect(logs.find((l) => l.kind === 'repo_mirror_sync_success')!.metadata).toMatchObject({ verb: 'end', tags: 'multi, v1' });
    const metrics = await registry.ctx.metrics.render();
    expect(metrics).toMatch(/quay_repository_mirror_last_sync_status\{[^}]*namespace="acme"[^}]*repository="app"[^}]*\} 1\n/);
  });

  it('follows the remote on the next sync: a new tag appears, a moved tag follows, removed and unmatched tags go', async () => {
    await push(plain, imageA, 'upstream/follow:v1');
    await push(plain, imageA, 'upstream/follow:v2');
    const repo = await createMirror('follow', { externalReference: `${plain.host}/upstream/follow`, tagPatterns: ['v*'] });
    await expectSync(worker(), repo, 'SUCCESS');
    expect(await tagsOf(repo)).toEqual({ v1: digestOf(imageA), v2: digestOf(imageA) });

    await push(plain, imageB, 'upstream/follow:v1');
    await push(plain, imageC, 'upstream/follow:v3');
    await removeRemoteTag(plain, 'upstream/follow:v2');
    await requestMirrorSyncNow(registry.ctx.db, repo.id);
    await expectSync(worker(), repo, 'SUCCESS');
    // v2 pointed at imageA's manifest, which skopeo delete removed with every tag on it (v1 had moved)
    expect(await tagsOf(repo)).toEqual({ v1: digestOf(imageB), v3: digestOf(imageC) });
    expect(await pulledDigest('acme/follow:v3')).toBe(digestOf(imageC));

    await updateMirrorConfig(registry.ctx.db, registry.ctx.secrets, repo.id, { tagPatterns: ['v3'] });
    await requestMirrorSyncNow(registry.ctx.db, repo.id);
    await expectSync(worker(), repo, 'SUCCESS');
    expect(await tagsOf(repo)).toEqual({ v3: digestOf(imageC) });

    // no tag matches at all: the mirror empties, as the remote has nothing it wants
    await updateMirrorConfig(registry.ctx.db, registry.ctx.secrets, repo.id, { tagPatterns: ['nothing-*'] });
    await requestMirrorSyncNow(registry.ctx.db, repo.id);
    await expectSync(worker(), repo, 'SUCCESS');
    expect(await tagsOf(repo)).toEqual({});
    expect((await mirrorState(repo)).lastSyncMessage).toMatch(/no tag .* matches/);
  });

  it('syncs with basic-auth credentials; wrong ones fail with a clear message and leave the tags as they were', async () => {
    await push(authed, imageA, 'upstream/private:v1');
    const repo = await createMirror('private', {
      externalReference: `${authed.host}/upstream/private`,
      tagPatterns: ['*'],
      username: REMOTE_USER.username,
      password: REMOTE_USER.password,
    });
    await expectSync(worker(), repo, 'SUCCESS');
    expect(await pulledDigest('acme/private:v1')).toBe(digestOf(imageA));

    await push(authed, imageB, 'upstream/private:v1');
    await updateMirrorConfig(registry.ctx.db, registry.ctx.secrets, repo.id, { password: 'wrong-password' });
    await requestMirrorSyncNow(registry.ctx.db, repo.id);
    await expectSync(worker(), repo, 'FAIL');
    const state = await mirrorState(repo);
    expect(state.syncStatus).toBe('FAIL');
    expect(state.lastSyncMessage).toMatch(/credential|unauthori[sz]ed|401/i);
    expect(state.lastSyncMessage).not.toContain('wrong-password');
    expect(await tagsOf(repo)).toEqual({ v1: digestOf(imageA) });
    const failed = (await logKinds(repo)).filter((l) => l.kind === 'repo_mirror_sync_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.metadata['message']).toBe(state.lastSyncMessage);
  });

  it('over TLS: trusts the CA in extra_ca_certs, skips verification when verify_tls is off, and names the TLS failure without the CA', async () => {
    await push(tls, imageA, 'upstream/secure:v1');
    const configDir = path.join(work, 'config-with-ca');
    await mkdir(path.join(configDir, 'extra_ca_certs'), { recursive: true });
    await writeFile(path.join(configDir, 'extra_ca_certs', 'test-ca.crt'), tls.caPem!);
    const verified = await createMirror('secure', { externalReference: `${tls.host}/upstream/secure`, tagPatterns: ['v1'] });
    await expectSync(worker({ configDir }), verified, 'SUCCESS');
    expect(await pulledDigest('acme/secure:v1')).toBe(digestOf(imageA));

    const untrusted = await createMirror('untrusted', { externalReference: `${tls.host}/upstream/secure`, tagPatterns: ['v1'] });
    await expectSync(worker(), untrusted, 'FAIL');
    expect((await mirrorState(untrusted)).lastSyncMessage).toMatch(/certificate|TLS/i);
    expect(await tagsOf(untrusted)).toEqual({});

    await updateMirrorConfig(registry.ctx.db, registry.ctx.secrets, untrusted.id, { registryConfig: registryTls(true) });
    await requestMirrorSyncNow(registry.ctx.db, untrusted.id);
    await expectSync(worker(), untrusted, 'SUCCESS');
    expect(await tagsOf(untrusted)).toEqual({ v1: digestOf(imageA) });
  });

  it('fails on an unreachable registry with a clear message, retries at the next runs, then waits for the next interval', async () => {
    const port = await freePort();
    const repo = await createMirror('unreachable', { externalReference: `127.0.0.1:${port}/upstream/gone`, tagPatterns: ['*'] });
    for (let attempt = 1; attempt <= MIRROR_SYNC_RETRIES; attempt++) {
      await expectSync(worker(), repo, 'FAIL');
      const state = await mirrorState(repo);
      expect(state.syncStatus).toBe('FAIL');
      expect(state.lastSyncMessage).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*refused`, 'i'));
      if (attempt < MIRROR_SYNC_RETRIES) {
        expect(state.syncRetriesRemaining).toBe(MIRROR_SYNC_RETRIES - attempt);
        expect(state.syncStartDate).toBeLessThanOrEqual(nowMs());
      } else {
        expect(state.syncRetriesRemaining).toBe(MIRROR_SYNC_RETRIES);
        expect(state.syncStartDate).toBeGreaterThan(nowMs());
      }
    }
    expect((await worker().runOnce()).has(repo.id)).toBe(false);
    const kinds = (await logKinds(repo)).map((l) => l.kind);
    expect(kinds.filter((k) => k === 'repo_mirror_sync_started')).toHaveLength(MIRROR_SYNC_RETRIES);
    expect(kinds.filter((k) => k === 'repo_mirror_sync_failed')).toHaveLength(MIRROR_SYNC_RETRIES);
  });

  it('fails a tag whose manifest is malformed: it keeps its previous image, the others move; with REPO_MIRROR_ROLLBACK nothing moves', async () => {
    await push(plain, imageA, 'upstream/broken:v1');
    const repo = await createMirror('broken', { externalReference: `${relay.host}/upstream/broken`, tagPatterns: ['v*'] });
    await expectSync(worker(), repo, 'SUCCESS');

    await push(plain, imageB, 'upstream/broken:v1');
    await push(plain, imageC, 'upstream/broken:v2');
    relay.corruptTags.add('v1');
    await requestMirrorSyncNow(registry.ctx.db, repo.id);
    await expectSync(worker({ REPO_MIRROR_ROLLBACK: true }), repo, 'FAIL');
    expect(await tagsOf(repo)).toEqual({ v1: digestOf(imageA) });
    expect((await mirrorState(repo)).lastSyncMessage).toMatch(/nothing applied/);

    await requestMirrorSyncNow(registry.ctx.db, repo.id);
    await expectSync(worker(), repo, 'FAIL');
    expect(await tagsOf(repo)).toEqual({ v1: digestOf(imageA), v2: digestOf(imageC) });
    const message = (await mirrorState(repo)).lastSyncMessage!;
    expect(message).toMatch(/1 of 2 tags failed/);
    expect(message).toMatch(/tag v1: manifest .*is not (valid )?JSON/);
    const tagFailures = (await logKinds(repo)).filter((l) => l.kind === 'repo_mirror_sync_tag_failed');
    expect(tagFailures.map((l) => l.metadata['tag'])).toEqual(['v1', 'v1']);
  });

  it('stops between blobs when cancelled: CANCEL, and no tag changes', async () => {
    await push(plain, imageA, 'upstream/slow:v1');
    const repo = await createMirror('slow', { externalReference: `${relay.host}/upstream/slow`, tagPatterns: ['v*'] });
    await expectSync(worker(), repo, 'SUCCESS');

    await push(plain, imageB, 'upstream/slow:v1');
    await push(plain, imageC, 'upstream/slow:v2');
    relay.blobDelayMs = 300;
    await requestMirrorSyncNow(registry.ctx.db, repo.id);
    const firstBlob = relay.nextBlobRequest();
    const run = worker().runOnce();
    await firstBlob;
    await cancelActiveMirrorSync(registry.ctx.db, repo.id);
    expect((await run).get(repo.id)).toBe('CANCEL');
    const state = await mirrorState(repo);
    expect(state.syncStatus).toBe('CANCEL');
    expect(state.lastSyncMessage).toMatch(/cancelled/);
    expect(await tagsOf(repo)).toEqual({ v1: digestOf(imageA) });
    const cancelled = (await logKinds(repo)).filter((l) => l.kind === 'repo_mirror_sync_failed');
    expect(cancelled.map((l) => l.metadata['verb'])).toEqual(['Cancelled']);
  });

  it('hands a sync back when its worker stops, and another worker finishes it', async () => {
    await push(plain, imageC, 'upstream/handover:v1');
    const repo = await createMirror('handover', { externalReference: `${relay.host}/upstream/handover`, tagPatterns: ['v1'] });
    relay.blobDelayMs = 300;
    const stopping = worker();
    const firstBlob = relay.nextBlobRequest();
    const run = stopping.runOnce();
    await firstBlob;
    await stopping.stop();
    expect((await run).get(repo.id)).toBe('HANDED_BACK');
    const state = await mirrorState(repo);
    expect(state.syncStatus).toBe('NEVER_RUN');
    expect(state.syncExpirationDate).toBeNull();
    expect(await tagsOf(repo)).toEqual({});

    relay.blobDelayMs = 0;
    await expectSync(worker(), repo, 'SUCCESS');
    expect(await tagsOf(repo)).toEqual({ v1: digestOf(imageC) });
  });

  it('runs a due mirror once when two workers look at the same time', async () => {
    await push(plain, imageB, 'upstream/race:v1');
    const repo = await createMirror('race', { externalReference: `${plain.host}/upstream/race`, tagPatterns: ['v1'] });
    const [first, second] = await Promise.all([worker().runOnce(), worker().runOnce()]);
    const outcomes = [first.get(repo.id), second.get(repo.id)];
    expect(outcomes.filter((o) => o === 'SUCCESS')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'SUCCESS' && o !== 'LOST' && o !== undefined)).toEqual([]);
    const started = (await logKinds(repo)).filter((l) => l.kind === 'repo_mirror_sync_started');
    expect(started).toHaveLength(1);
  });

  it('links blobs only from public repositories; blobs of private ones, even ones the robot may read, come from the remote', async () => {
    const [shared, secret] = await Promise.all([
      createImageLayout(path.join(work, 'shared'), { seed: `mirror-shared-${dialect}`, tag: 'v1', layers: 2 }),
      createImageLayout(path.join(work, 'secret'), { seed: `mirror-secret-${dialect}`, tag: 'v1' }),
    ]);
    const pushAsAlice = (image: LayoutImage, target: string) =>
      runOk(bin, ['copy', '--dest-tls-verify=false', '--dest-creds', `alice:${PASSWORD}`, image.ref, `docker://${registry.host}/${target}`]);
    await ensureRepository(registry.ctx.db, acme.id, { namespace: 'acme', name: 'public-src' }, 'public');
    const readable = await ensureRepository(registry.ctx.db, acme.id, { namespace: 'acme', name: 'private-src' }, 'private');
    await registry.ctx.db
      .insertInto('repository_permission')
      .values({ repository_id: readable.id, member_id: robot.id, team_id: null, role: 'read' })
      .execute();
    await pushAsAlice(shared, 'acme/public-src:v1');
    await pushAsAlice(secret, 'acme/private-src:v1');

    await push(plain, shared, 'upstream/linked:v1');
    const linked = await createMirror('linked', { externalReference: `${relay.host}/upstream/linked`, tagPatterns: ['v1'] });
    const before = relay.blobRequests;
    await expectSync(worker(), linked, 'SUCCESS');
    expect(relay.blobRequests).toBe(before);
    expect(await pulledDigest('acme/linked:v1')).toBe(digestOf(shared));

    await push(plain, secret, 'upstream/copied:v1');
    const copied = await createMirror('copied', { externalReference: `${relay.host}/upstream/copied`, tagPatterns: ['v1'] });
    const beforeCopy = relay.blobRequests;
    await expectSync(worker(), copied, 'SUCCESS');
    expect(relay.blobRequests - beforeCopy).toBe(secret.image.layers.length + 1);
    expect(await pulledDigest('acme/copied:v1')).toBe(digestOf(secret));
  });

  it('fails a sync whose robot lost its write permission, before contacting the remote; the tags stay', async () => {
    await push(plain, imageA, 'upstream/nogrant:v1');
    const repo = await createMirror('nogrant', { externalReference: `${relay.host}/upstream/nogrant`, tagPatterns: ['v1'] });
    await expectSync(worker(), repo, 'SUCCESS');
    await registry.ctx.db.deleteFrom('repository_permission').where('repository_id', '=', repo.id).execute();
    await push(plain, imageB, 'upstream/nogrant:v1');
    await requestMirrorSyncNow(registry.ctx.db, repo.id);
    const before = relay.blobRequests;
    await expectSync(worker(), repo, 'FAIL');
    expect((await mirrorState(repo)).lastSyncMessage).toMatch(/may not write to acme\/nogrant/);
    expect(relay.blobRequests).toBe(before);
    expect(await tagsOf(repo)).toEqual({ v1: digestOf(imageA) });
  });

  it('fails a tag whose blob breaks off mid-stream: the tag keeps its image and no upload session is left', async () => {
    await push(plain, imageA, 'upstream/truncated:v1');
    const repo = await createMirror('truncated', { externalReference: `${relay.host}/upstream/truncated`, tagPatterns: ['v1'] });
    await expectSync(worker(), repo, 'SUCCESS');
    const fresh = await createImageLayout(path.join(work, 'truncated'), { seed: `mirror-truncated-${dialect}`, tag: 'v1' });
    await push(plain, fresh, 'upstream/truncated:v1');
    relay.truncateBlobs = true;
    await requestMirrorSyncNow(registry.ctx.db, repo.id);
    await expectSync(worker(), repo, 'FAIL');
    expect((await mirrorState(repo)).lastSyncMessage).toMatch(/tag v1: blob sha256:/);
    expect(await tagsOf(repo)).toEqual({ v1: digestOf(imageA) });
    const uploads = await registry.ctx.db.selectFrom('upload').select('uuid').where('repository_id', '=', repo.id).execute();
    expect(uploads).toEqual([]);
  });

  it('keeps the unchanged tags of a namespace at its quota; a new manifest is refused with the quota reason', async () => {
    await push(plain, imageA, 'upstream/atquota:v1');
    const repo = await createMirror('atquota', { externalReference: `${plain.host}/upstream/atquota`, tagPatterns: ['v*'] });
    await expectSync(worker(), repo, 'SUCCESS');
    // every namespace holding a byte is at this quota
    const atQuota = worker({ FEATURE_QUOTA_MANAGEMENT: true, FEATURE_VERIFY_QUOTA: true, DEFAULT_SYSTEM_REJECT_QUOTA_BYTES: 1 });
    await requestMirrorSyncNow(registry.ctx.db, repo.id);
    await expectSync(atQuota, repo, 'SUCCESS');
    await push(plain, imageC, 'upstream/atquota:v2');
    await requestMirrorSyncNow(registry.ctx.db, repo.id);
    await expectSync(atQuota, repo, 'FAIL');
    expect((await mirrorState(repo)).lastSyncMessage).toMatch(/tag v2: .*quota/i);
    expect(await tagsOf(repo)).toEqual({ v1: digestOf(imageA) });
  });

  it('pushes through REPO_MIRROR_SERVER_HOSTNAME as the mirror robot when it is set', async () => {
    await push(plain, multi, 'upstream/viahttp:v1');
    const repo = await createMirror('viahttp', { externalReference: `${plain.host}/upstream/viahttp`, tagPatterns: ['v1'] });
    const outcomes = await worker({ REPO_MIRROR_SERVER_HOSTNAME: registry.host, REPO_MIRROR_TLS_VERIFY: false }).runOnce();
    expect(outcomes.get(repo.id), (await mirrorState(repo)).lastSyncMessage ?? '').toBe('SUCCESS');
    expect(await pulledDigest('acme/viahttp:v1')).toBe(digestOf(multi));
    // the registry recorded the tag push as the robot's
    const pushes = (await logKinds(repo)).filter((l) => l.kind === 'push_repo');
    expect(pushes.length).toBeGreaterThan(0);
  });
});
