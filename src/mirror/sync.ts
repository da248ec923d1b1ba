import type { Logger } from 'pino';
import type { RepoMirrorStatus } from '../db/tables.js';
import { manifestPolicyFromConfig } from '../manifest/index.js';
import { nowMs } from '../model/clock.js';
import { liveTagDigests, MirrorApplyRefused } from '../model/mirror-tags.js';
import {
  extendMirrorClaim,
  handBackMirrorClaim,
  type MirrorClaim,
  type MirrorConfig,
  mirrorSyncCancelled,
  releaseMirror,
} from '../model/repo-mirror.js';
import type { RepositoryWithNamespace } from '../model/repositories.js';
import type { AppliedTags, MirrorDestination, MirrorTagTarget } from './destination.js';
import { type CopyStats, copyTaggedManifest, type ManifestCopier } from './manifest-copy.js';
import type { RemoteRepository } from './remote.js';
import { logSync, notifySync, startMessage } from './sync-events.js';
import { SyncHolds } from './sync-holds.js';
import { countPendingTags, recordSyncOutcome, recordSyncStart } from './sync-metrics.js';
import { describeFailure, dominantReason, type MirrorFailureReason, syncMessage, type TagFailure } from './sync-report.js';
import { claimedRepository, type MirrorSyncDeps, mirrorRobot, openDestination, openMirrorSource, SetupProblem } from './sync-setup.js';
import { filterTags } from './tag-patterns.js';

export type { MirrorSyncDeps } from './sync-setup.js';

/**
 * One sync of a claimed mirror (what Quay's repomirrorworker does with skopeo, done in-process):
 * list the remote's tags, keep those the patterns match, copy each tag's manifest with its blobs
 * and child manifests into the repository by digest, and only then move the tags, in one step.
 * A tag whose copy fails keeps its previous manifest; a cancelled sync changes no tag.
 */

export interface SyncControl {
  /** True once the worker is stopping: the sync ends before its next blob and hands its claim back. */
  stopRequested(): boolean;
}

/** How a sync ended: released with a status, handed back unfinished (stopping), or its claim lost to another worker. */
export type SyncEnd = 'SUCCESS' | 'FAIL' | 'CANCEL' | 'HANDED_BACK' | 'LOST';

/** A long sync renews its claim at least this often, well inside the claim's 12 hours. */
const CLAIM_RENEWAL_MS = 10 * 60_000;

const CANCELLED = 'the sync was cancelled; no tag changed';

/** Raised at a checkpoint to end the sync early. */
class SyncInterrupted extends Error {
  constructor(
    readonly why: 'cancel' | 'stop',
    message = why === 'cancel' ? CANCELLED : 'the worker is stopping',
  ) {
    super(message);
  }
}

interface SyncResult {
  outcome: 'SUCCESS' | 'FAIL';
  message: string;
  reason: MirrorFailureReason | '';
  /** The tags the patterns matched on the remote. */
  matched: string[];
  changed: string[];
  failures: TagFailure[];
}

class MirrorSync {
  /** The remote tags the patterns matched, once listed. */
  matched: string[] = [];
  private lastRenewal = nowMs();
  private readonly stats: CopyStats = { copied: 0, mounted: 0, present: 0, bytes: 0 };
  private readonly holds: SyncHolds;
  private readonly renewalIntervalMs: number;

  constructor(
    private readonly deps: MirrorSyncDeps,
    private readonly claim: MirrorClaim,
    private readonly repo: RepositoryWithNamespace,
    private readonly control: SyncControl,
    private readonly log: Logger,
  ) {
    this.holds = new SyncHolds(deps.db, repo.id, deps.config.PUSH_TEMP_TAG_EXPIRATION_SEC * 1000);
    this.renewalIntervalMs = Math.min(CLAIM_RENEWAL_MS, this.holds.renewalIntervalMs);
  }

  private get config(): MirrorConfig {
    return this.claim.config;
  }

  /** Between blobs and tags: stop when cancelled (or the claim was lost) or the worker stops; keep the claim and the holds alive. */
  private async checkpoint(): Promise<void> {
    if (await mirrorSyncCancelled(this.deps.db, this.claim)) throw new SyncInterrupted('cancel');
    if (this.control.stopRequested()) throw new SyncInterrupted('stop');
    const now = nowMs();
    if (now - this.lastRenewal >= this.renewalIntervalMs) {
      if (!(await extendMirrorClaim(this.deps.db, this.claim, now))) throw new SyncInterrupted('cancel');
      await this.holds.renewAll(now);
      this.lastRenewal = now;
    }
  }

  async run(): Promise<SyncResult> {
    await this.checkpoint();
    const robot = await mirrorRobot(this.deps, this.config, this.repo);
    const remote = openMirrorSource(this.deps, this.config);
    try {
      const destination = openDestination(this.deps, this.repo, robot, this.log);
      try {
        return await this.syncTags(remote, destination);
      } finally {
        await destination.close().catch(() => undefined);
      }
    } finally {
      await remote.close().catch(() => undefined);
    }
  }

  private async copyTags(copier: ManifestCopier, matched: readonly string[]): Promise<{ copied: MirrorTagTarget[]; failures: TagFailure[] }> {
    const copied: MirrorTagTarget[] = [];
    const failures: TagFailure[] = [];
    countPendingTags(this.deps.metrics, this.repo, matched.length);
    for (const [index, tag] of matched.entries()) {
      await this.checkpoint();
      try {
        copied.push({ tag, digest: await copyTaggedManifest(copier, tag) });
      } catch (err) {
        if (err instanceof SyncInterrupted) throw err;
        const failure = describeFailure(err);
        this.log.warn({ tag, reason: failure.reason, message: failure.message }, 'mirror: tag copy failed');
        failures.push({ tag, ...failure });
      }
      countPendingTags(this.deps.metrics, this.repo, matched.length - index - 1);
    }
    return { copied, failures };
  }

  private async applyTags(destination: MirrorDestination, targets: MirrorTagTarget[], matched: string[]): Promise<AppliedTags> {
    try {
      return await destination.applyTags(targets, matched, this.claim.transactionId);
    } catch (err) {
      if (err instanceof MirrorApplyRefused) throw new SyncInterrupted('cancel', err.message);
      throw err;
    }
  }

  private async syncTags(remote: RemoteRepository, destination: MirrorDestination): Promise<SyncResult> {
    const matched = filterTags(await remote.listTags(), this.config.tagPatterns);
    this.matched = matched;
    const before = await liveTagDigests(this.deps.db, this.repo.id);
    const copier: ManifestCopier = {
      remote,
      destination,
      policy: manifestPolicyFromConfig(this.deps.config),
      stats: this.stats,
      holds: this.holds,
      requestTimeoutMs: this.config.skopeoTimeoutSeconds * 1000,
      checkpoint: () => this.checkpoint(),
    };
    const { copied, failures } = await this.copyTags(copier, matched);
    await this.checkpoint();
    const changedTargets = copied.filter((c) => before.get(c.tag) !== c.digest);
    const rolledBack = failures.length > 0 && this.deps.config.REPO_MIRROR_ROLLBACK;
    const applied: AppliedTags = rolledBack ? { moved: [], removed: [], failed: [] } : await this.applyTags(destination, changedTargets, matched);
    for (const f of applied.failed) failures.push({ tag: f.tag, reason: 'internal', message: f.message });
    const moved = new Set(applied.moved);
    const changed = changedTargets.map((c) => c.tag).filter((tag) => moved.has(tag));
    const summary = { source: this.config.externalReference, matched: matched.length, changed, removed: applied.removed, failures, rolledBack };
    this.log.info({ matched: matched.length, changed: changed.length, removed: applied.removed.length, failed: failures.length, blobs: this.stats }, 'mirror: sync done');
    return {
      outcome: failures.length > 0 ? 'FAIL' : 'SUCCESS',
      message: syncMessage(summary),
      reason: failures.length > 0 ? dominantReason(failures) : '',
      matched,
      changed,
      failures,
    };
  }
}

/** The result of a sync that could not start copying: a clear message for the failed status. */
function setupFailure(err: unknown): SyncResult {
  const failure = err instanceof SetupProblem ? { reason: 'config' as const, message: err.message } : describeFailure(err);
  return { outcome: 'FAIL', message: failure.message, reason: failure.reason, matched: [], changed: [], failures: [] };
}

/** The tags of the finished entry, as Quay lists them: every matched tag, failed ones marked when the others were applied. */
function finishedTags(deps: MirrorSyncDeps, result: SyncResult): string {
  if (result.outcome === 'SUCCESS') return result.matched.join(', ');
  const failed = new Set(result.failures.map((f) => f.tag));
  if (failed.size === 0 || failed.size === result.matched.length || deps.config.REPO_MIRROR_ROLLBACK) return '';
  return result.matched.map((tag) => (failed.has(tag) ? `${tag}(FAILED)` : tag)).join(', ');
}

async function recordTagLogs(deps: MirrorSyncDeps, repo: RepositoryWithNamespace, result: SyncResult): Promise<void> {
  for (const tag of result.changed) {
    await logSync(deps, repo, 'repo_mirror_sync_tag_success', { verb: 'finish', message: `tag ${tag} now follows the remote`, tag });
  }
  for (const failure of result.failures) {
    await logSync(deps, repo, 'repo_mirror_sync_tag_failed', { verb: 'finish', message: failure.message, tag: failure.tag });
  }
}

/**
 * Runs the sync of a mirror this worker claimed and ends the claim: released with SUCCESS, FAIL or
 * CANCEL, or, when the worker is stopping, handed back so another worker takes it at once.
 * `previousStatus` is the status the mirror had before the claim.
 */
export async function runMirrorSync(
  deps: MirrorSyncDeps,
  claim: MirrorClaim,
  previousStatus: RepoMirrorStatus,
  control: SyncControl,
): Promise<SyncEnd> {
  const startedAt = nowMs();
  const repo = await claimedRepository(deps, claim.config.repositoryId);
  if (!repo) {
    return (await releaseMirror(deps.db, claim, 'FAIL', 'the repository no longer exists', nowMs())) ? 'FAIL' : 'LOST';
  }
  const log = deps.log.child({ mirror: `${repo.namespace_name}/${repo.name}` });
  const started = startMessage(claim.config);
  recordSyncStart(deps.metrics, repo, startedAt);
  await logSync(deps, repo, 'repo_mirror_sync_started', { verb: 'start', message: started });
  await notifySync(deps, repo, 'repo_mirror_sync_started', started);

  const sync = new MirrorSync(deps, claim, repo, control, log);
  let result: SyncResult;
  try {
    result = await sync.run();
  } catch (err) {
    if (err instanceof SyncInterrupted) return endInterrupted(deps, { claim, previousStatus, repo, matched: sync.matched, startedAt, log }, err);
    if (!(err instanceof SetupProblem) && describeFailure(err).reason === 'internal') log.error({ err }, 'mirror: sync failed');
    result = setupFailure(err);
  }

  if (!(await releaseMirror(deps.db, claim, result.outcome, result.message, nowMs()))) {
    log.warn('mirror: the claim was taken over by another worker; this sync is not recorded');
    countPendingTags(deps.metrics, repo, 0);
    return 'LOST';
  }
  await recordTagLogs(deps, repo, result);
  const kind = result.outcome === 'SUCCESS' ? 'repo_mirror_sync_success' : 'repo_mirror_sync_failed';
  // Quay's verbs: 'end' for a sync that ran through (or failed before copying), 'lost' for one whose tags failed.
  const verb = result.failures.length > 0 ? 'lost' : 'end';
  await logSync(deps, repo, kind, { verb, message: result.message, tags: finishedTags(deps, result) });
  await notifySync(deps, repo, kind, result.message);
  recordSyncOutcome(deps.metrics, repo, result.outcome, result.reason, (nowMs() - startedAt) / 1000);
  return result.outcome;
}

interface InterruptedSync {
  claim: MirrorClaim;
  previousStatus: RepoMirrorStatus;
  repo: RepositoryWithNamespace;
  matched: readonly string[];
  startedAt: number;
  log: Logger;
}

async function endInterrupted(deps: MirrorSyncDeps, sync: InterruptedSync, interruption: SyncInterrupted): Promise<SyncEnd> {
  const { claim, repo } = sync;
  const now = nowMs();
  if (interruption.why === 'stop' && (await handBackMirrorClaim(deps.db, claim, sync.previousStatus, now))) {
    sync.log.info('mirror: worker stopping; the sync is handed back unfinished, no tag changed');
    countPendingTags(deps.metrics, repo, 0);
    return 'HANDED_BACK';
  }
  const message = interruption.why === 'cancel' ? interruption.message : CANCELLED;
  if (!(await releaseMirror(deps.db, claim, 'CANCEL', message, now))) {
    countPendingTags(deps.metrics, repo, 0);
    return 'LOST';
  }
  // As Quay: a cancelled sync is logged and notified as a failed one.
  await logSync(deps, repo, 'repo_mirror_sync_failed', { verb: 'Cancelled', message, tags: sync.matched.join(', ') });
  await notifySync(deps, repo, 'repo_mirror_sync_failed', message);
  recordSyncOutcome(deps.metrics, repo, 'CANCEL', 'cancelled', (now - sync.startedAt) / 1000);
  return 'CANCEL';
}
