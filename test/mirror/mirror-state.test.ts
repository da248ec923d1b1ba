import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowMs } from '../../src/model/clock.js';
import { applyMirrorTags, MirrorApplyRefused } from '../../src/model/mirror-tags.js';
import { findNamespace, type Namespace } from '../../src/model/namespaces.js';
import { createOrganization } from '../../src/model/organizations.js';
import {
  cancelActiveMirrorSync,
  claimMirror,
  createMirrorConfig,
  dueMirrors,
  findMirrorConfig,
  handBackMirrorClaim,
  MIRROR_MAX_SYNC_DURATION_MS,
  MIRROR_SYNC_RETRIES,
  type MirrorConfig,
  mirrorSyncCancelled,
  nextMirrorStart,
  releaseMirror,
  requestMirrorSyncNow,
  updateMirrorConfig,
} from '../../src/model/repo-mirror.js';
import { setRepositoryState } from '../../src/model/repository-admin.js';
import { ensureRepository, type RepositoryWithNamespace } from '../../src/model/repositories.js';
import { createRobot, type Robot } from '../../src/model/robots.js';
import { SyncHolds } from '../../src/mirror/sync-holds.js';
import { RepoMirrorWorker } from '../../src/workers/repo-mirror.js';
import { liveTagDigests } from '../../src/model/mirror-tags.js';
import { testDialects } from '../helpers/databases.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/**
 * The mirror's sync state machine through the model, on both dialects: when a mirror is due, who
 * may claim it, what a claim sees, and how it ends. No remote is contacted: the references point
 * at a closed port and the checks under test come first.
 */
describe.each(testDialects())('repository mirror state machine (%s)', (dialect) => {
  let registry: TestRegistry;
  let acme: Namespace;
  let robot: Robot;
  let counter = 0;

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect, overrides: { FEATURE_REPO_MIRROR: true } });
    await registry.createUser('owner', 'owner-Pa55word!');
    const owner = (await findNamespace(registry.ctx.db, 'owner'))!;
    acme = await createOrganization(registry.ctx.db, registry.ctx.config, { name: 'acme', creatorId: owner.id });
    robot = await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: acme, shortname: 'mirror' });
  });

  afterAll(async () => {
    await registry?.close();
  });

  /** A fresh mirror, due now unless told otherwise; every other test's mirrors are disabled first. */
  async function mirror(changes: { isEnabled?: boolean; syncStartDate?: number } = {}): Promise<RepositoryWithNamespace> {
    for (const other of await dueMirrors(registry.ctx.db, nowMs() + MIRROR_MAX_SYNC_DURATION_MS * 2, 1000)) {
      await updateMirrorConfig(registry.ctx.db, registry.ctx.secrets, other.repositoryId, { isEnabled: false });
      await cancelActiveMirrorSync(registry.ctx.db, other.repositoryId);
    }
    counter++;
    const repo = await ensureRepository(registry.ctx.db, acme.id, { namespace: 'acme', name: `m${counter}` }, 'private');
    await createMirrorConfig(
      registry.ctx.db,
      registry.ctx.secrets,
      repo.id,
      { robotId: robot.id, externalReference: '127.0.0.1:1/upstream/app', tagPatterns: ['*'], syncIntervalSeconds: 60, ...changes },
      nowMs() - 1000,
    );
    return repo;
  }

  async function state(repo: RepositoryWithNamespace): Promise<MirrorConfig> {
    return (await findMirrorConfig(registry.ctx.db, repo.id))!;
  }

  async function dueIds(now = nowMs()): Promise<number[]> {
    return (await dueMirrors(registry.ctx.db, now, 100)).map((c) => c.repositoryId);
  }

  it('schedules the next start at the first multiple of the interval after now', () => {
    expect(nextMirrorStart(1000, 10, 1000)).toBe(11_000);
    expect(nextMirrorStart(1000, 10, 25_999)).toBe(31_000);
    expect(nextMirrorStart(50_000, 10, 1000)).toBe(50_000);
    expect(nextMirrorStart(null, 10, 1000)).toBe(11_000);
  });

  it('a disabled mirror is not due, unless asked to sync now', async () => {
    const repo = await mirror({ isEnabled: false });
    expect(await dueIds()).not.toContain(repo.id);
    expect(await requestMirrorSyncNow(registry.ctx.db, repo.id)).toBe(true);
    expect(await dueIds()).toContain(repo.id);
  });

  it('a claim sees the configuration as changed after it was found due', async () => {
    const repo = await mirror();
    const [found] = await dueMirrors(registry.ctx.db, nowMs(), 1);
    expect(found!.repositoryId).toBe(repo.id);
    await updateMirrorConfig(registry.ctx.db, registry.ctx.secrets, repo.id, { externalReference: '127.0.0.1:1/upstream/other' });
    const claim = await claimMirror(registry.ctx.db, found!, nowMs());
    expect(claim?.config.externalReference).toBe('127.0.0.1:1/upstream/other');
  });

  it('no claim for a mirror disabled, cancelled or taken out of MIRROR after it was found due; its status stays', async () => {
    for (const change of ['disable', 'cancel', 'state'] as const) {
      const repo = await mirror();
      await requestMirrorSyncNow(registry.ctx.db, repo.id);
      const found = (await dueMirrors(registry.ctx.db, nowMs(), 100)).find((c) => c.repositoryId === repo.id)!;
      if (change === 'disable') {
        await updateMirrorConfig(registry.ctx.db, registry.ctx.secrets, repo.id, { isEnabled: false });
        // a disabled mirror still runs a requested sync: only a reschedule or cancel stops that one
        await registry.ctx.db.updateTable('repo_mirror_config').set({ sync_status: 'SUCCESS' }).where('repository_id', '=', repo.id).execute();
        found.syncStatus = 'SUCCESS';
      }
      if (change === 'cancel') await cancelActiveMirrorSync(registry.ctx.db, repo.id);
      if (change === 'state') await setRepositoryState(registry.ctx.db, repo.id, 'NORMAL');
      const before = (await state(repo)).syncStatus;
      expect(await claimMirror(registry.ctx.db, found, nowMs()), change).toBeUndefined();
      expect((await state(repo)).syncStatus, change).toBe(before);
    }
  });

  it('a claim run out is taken over; the first worker can no longer release it, and a hand-back keeps it due', async () => {
    const repo = await mirror();
    const now = nowMs();
    const [config] = await dueMirrors(registry.ctx.db, now, 1);
    const first = (await claimMirror(registry.ctx.db, config!, now))!;
    expect(await dueIds(now + 1000)).not.toContain(repo.id);

    const later = now + MIRROR_MAX_SYNC_DURATION_MS + 1000;
    const stale = (await dueMirrors(registry.ctx.db, later, 100)).find((c) => c.repositoryId === repo.id)!;
    expect(stale.syncStatus).toBe('SYNCING');
    const second = (await claimMirror(registry.ctx.db, stale, later))!;
    expect(await releaseMirror(registry.ctx.db, first, 'SUCCESS', 'done', later)).toBe(false);
    expect(await mirrorSyncCancelled(registry.ctx.db, first)).toBe(true);

    expect(await handBackMirrorClaim(registry.ctx.db, second, 'SYNCING', later)).toBe(true);
    const handedBack = await state(repo);
    expect(handedBack.syncStatus).toBe('SYNCING');
    expect(await dueIds(later)).toContain(repo.id);
  });

  it('sync now is refused while a sync runs, and after a cancel until the cancelled sync lets go', async () => {
    const repo = await mirror();
    const [config] = await dueMirrors(registry.ctx.db, nowMs(), 1);
    const claim = (await claimMirror(registry.ctx.db, config!, nowMs()))!;
    expect(await requestMirrorSyncNow(registry.ctx.db, repo.id)).toBe(false);
    expect(await cancelActiveMirrorSync(registry.ctx.db, repo.id)).toBe(true);
    expect(await requestMirrorSyncNow(registry.ctx.db, repo.id)).toBe(false);
    expect(await mirrorSyncCancelled(registry.ctx.db, claim)).toBe(true);
    expect(await releaseMirror(registry.ctx.db, claim, 'CANCEL', 'cancelled', nowMs())).toBe(true);
    expect(await requestMirrorSyncNow(registry.ctx.db, repo.id)).toBe(true);
    expect((await state(repo)).syncStatus).toBe('SYNC_NOW');
  });

  it('a failed sync requested after a cancel is retried at the next run, not never', async () => {
    const repo = await mirror();
    const [config] = await dueMirrors(registry.ctx.db, nowMs(), 1);
    const cancelled = (await claimMirror(registry.ctx.db, config!, nowMs()))!;
    await releaseMirror(registry.ctx.db, cancelled, 'CANCEL', 'cancelled', nowMs());
    expect((await state(repo)).syncStartDate).toBeNull();
    await requestMirrorSyncNow(registry.ctx.db, repo.id);
    const [again] = await dueMirrors(registry.ctx.db, nowMs(), 1);
    const claim = (await claimMirror(registry.ctx.db, again!, nowMs()))!;
    const now = nowMs();
    expect(await releaseMirror(registry.ctx.db, claim, 'FAIL', 'failed', now)).toBe(true);
    const failed = await state(repo);
    expect(failed.syncRetriesRemaining).toBe(MIRROR_SYNC_RETRIES - 1);
    expect(failed.syncStartDate).toBe(now);
    expect(await dueIds(now + 1)).toContain(repo.id);
  });

  it('a sync whose repository left the MIRROR state stops and changes no tag', async () => {
    const repo = await mirror();
    const [config] = await dueMirrors(registry.ctx.db, nowMs(), 1);
    const claim = (await claimMirror(registry.ctx.db, config!, nowMs()))!;
    expect(await mirrorSyncCancelled(registry.ctx.db, claim)).toBe(false);
    await setRepositoryState(registry.ctx.db, repo.id, 'NORMAL');
    expect(await mirrorSyncCancelled(registry.ctx.db, claim)).toBe(true);
    const applied = applyMirrorTags(registry.ctx.db, repo.id, claim.transactionId, [], []);
    await expect(applied).rejects.toBeInstanceOf(MirrorApplyRefused);
    await expect(applied).rejects.toThrow(/left the MIRROR state; no tag changed/);
  });

  it('a cancelled sync cannot apply its tags', async () => {
    const repo = await mirror();
    const [config] = await dueMirrors(registry.ctx.db, nowMs(), 1);
    const claim = (await claimMirror(registry.ctx.db, config!, nowMs()))!;
    await cancelActiveMirrorSync(registry.ctx.db, repo.id);
    await expect(applyMirrorTags(registry.ctx.db, repo.id, claim.transactionId, [], [])).rejects.toThrow(/cancelled/);
  });

  it('fails the sync of a robot without write permission before contacting the remote', async () => {
    const repo = await mirror();
    await registry.ctx.db.deleteFrom('repository_permission').where('repository_id', '=', repo.id).execute();
    const outcomes = await new RepoMirrorWorker(registry.ctx).runOnce();
    expect(outcomes.get(repo.id)).toBe('FAIL');
    expect((await state(repo)).lastSyncMessage).toMatch(/acme\+mirror may not write to acme\/m\d+/);
  });

  /** A manifest row stored by digest long ago, its push hold over (what a long sync stored early looks like). */
  async function storedLongAgo(repo: RepositoryWithNamespace, name: string): Promise<string> {
    const content = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [], name }));
    const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
    await registry.ctx.db
      .insertInto('manifest')
      .values({
        repository_id: repo.id,
        digest,
        media_type: 'application/vnd.oci.image.index.v1+json',
        artifact_type: null,
        config_media_type: null,
        subject_digest: null,
        size: content.length,
        layers_size: null,
        content,
        created_at: 1,
        deleted_at: null,
        pushed_at: 1,
      })
      .execute();
    return digest;
  }

  async function pushedAt(repo: RepositoryWithNamespace, digest: string): Promise<number> {
    const row = await registry.ctx.db
      .selectFrom('manifest')
      .select('pushed_at')
      .where('repository_id', '=', repo.id)
      .where('digest', '=', digest)
      .executeTakeFirstOrThrow();
    return Number(row.pushed_at);
  }

  it('renews the holds of what a sync stored: manifests, and blob links a manifest does not use yet', async () => {
    const repo = await mirror();
    const digest = await storedLongAgo(repo, 'renewed');
    const blobDigest = `sha256:${createHash('sha256').update(`blob-${dialect}-${repo.id}`).digest('hex')}`;
    const blob = await registry.ctx.db
      .insertInto('blob')
      .values({ digest: blobDigest, size: 1, created_at: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const now = nowMs();
    await registry.ctx.db.insertInto('repository_blob').values({ repository_id: repo.id, blob_id: blob.id, expires_at: now + 1000 }).execute();
    const holds = new SyncHolds(registry.ctx.db, repo.id, 3600_000);
    expect(await holds.renewStoredManifest(digest, now)).toBe(true);
    expect(await holds.renewStoredManifest('sha256:' + '0'.repeat(64), now)).toBe(false);
    holds.blobHeld(blobDigest);
    await registry.ctx.db.updateTable('manifest').set({ pushed_at: 1 }).where('digest', '=', digest).execute();
    await holds.renewAll(now + 500);
    expect(await pushedAt(repo, digest)).toBe(now + 500);
    const link = await registry.ctx.db
      .selectFrom('repository_blob')
      .select('expires_at')
      .where('repository_id', '=', repo.id)
      .where('blob_id', '=', blob.id)
      .executeTakeFirstOrThrow();
    expect(Number(link.expires_at)).toBe(now + 500 + 3600_000);
  });

  it('the transaction that moves the tags renews the hold of their manifests first', async () => {
    const repo = await mirror();
    const digest = await storedLongAgo(repo, 'applied');
    const [config] = await dueMirrors(registry.ctx.db, nowMs(), 1);
    const claim = (await claimMirror(registry.ctx.db, config!, nowMs()))!;
    const before = nowMs();
    const changes = await applyMirrorTags(registry.ctx.db, repo.id, claim.transactionId, [{ tag: 'v1', digest }], ['v1']);
    expect(changes.moved).toEqual(['v1']);
    expect(await pushedAt(repo, digest)).toBeGreaterThanOrEqual(before);
    expect(Object.fromEntries(await liveTagDigests(registry.ctx.db, repo.id))).toEqual({ v1: digest });
  });
});
