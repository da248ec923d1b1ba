import type { Logger } from 'pino';
import type { Identity } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import type { RepoMirrorStatus } from '../db/tables.js';
import { manifestPolicyFromConfig } from '../manifest/index.js';
import { nowMs } from '../model/clock.js';
import { liveTagDigests } from '../model/mirror-tags.js';
import { findNamespaceById } from '../model/namespaces.js';
import {
  extendMirrorClaim,
  handBackMirrorClaim,
  type MirrorClaim,
  type MirrorConfig,
  mirrorSyncCancelled,
  openMirrorCredentials,
  releaseMirror,
} from '../model/repo-mirror.js';
import { findRepository, findRepositoryRefById, type RepositoryWithNamespace } from '../model/repositories.js';
import { findRobot, type Robot, revealRobotToken } from '../model/robots.js';
import { readExtraCaCerts } from '../net/extra-ca-certs.js';
import type { AppliedTags, MirrorDestination, MirrorTagTarget } from './destination.js';
import { type ExternalReference, parseExternalReference } from './external-reference.js';
import { LocalDestination } from './local-destination.js';
import { type CopyStats, copyTaggedManifest, type ManifestCopier } from './manifest-copy.js';
import { openPushTarget, openRemoteRepository } from './registry-client.js';
import { RegistryDestination } from './registry-destination.js';
import type { RemoteEndpointOptions, RemoteRepository } from './remote.js';
import { logSync, notifySync, startMessage } from './sync-events.js';
import { countPendingTags, recordSyncOutcome } from './sync-metrics.js';
import { describeFailure, dominantReason, type MirrorFailureReason, syncMessage, type TagFailure } from './sync-report.js';
import { filterTags } from './tag-patterns.js';

/**
 * One sync of a claimed mirror (what Quay's repomirrorworker does with skopeo, done in-process):
 * list the remote's tags, keep those the patterns match, copy each tag's manifest with its blobs
 * and child manifests into the repository by digest, and only then move the tags, in one step.
 * A tag whose copy fails keeps its previous manifest; a cancelled sync changes no tag.
 */

export type MirrorSyncDeps = Pick<AppContext, 'db' | 'storage' | 'config' | 'secrets' | 'metrics' | 'usageLogs' | 'log'>;

export interface SyncControl {
  /** True once the worker is stopping: the sync ends before its next blob and hands its claim back. */
  stopRequested(): boolean;
}

/** How a sync ended: released with a status, handed back unfinished (stopping), or its claim lost to another worker. */
export type SyncEnd = 'SUCCESS' | 'FAIL' | 'CANCEL' | 'HANDED_BACK' | 'LOST';

const USER_AGENT = 'Quayside-repomirror';
/** A long sync renews its claim this often, well inside the claim's 12 hours. */
const CLAIM_RENEWAL_MS = 10 * 60_000;

/** Raised at a checkpoint to end the sync early. */
class SyncInterrupted extends Error {
  constructor(readonly why: 'cancel' | 'stop') {
    super(why === 'cancel' ? 'the sync was cancelled' : 'the worker is stopping');
  }
}

/** A problem with the mirror's own configuration, found before the remote is contacted. */
class SetupProblem extends Error {}

interface SyncResult {
  outcome: 'SUCCESS' | 'FAIL';
  message: string;
  reason: MirrorFailureReason | '';
  changed: string[];
  failures: TagFailure[];
}

interface MirrorRobot {
  robot: Robot;
  identity: Identity;
}

async function mirrorRobot(deps: MirrorSyncDeps, config: MirrorConfig): Promise<MirrorRobot> {
  if (config.robotId === null) throw new SetupProblem('no robot account is set for this mirror');
  const account = await findNamespaceById(deps.db, config.robotId);
  const robot = account && (await findRobot(deps.db, account.name));
  if (!robot) throw new SetupProblem('the mirror robot account no longer exists; choose another robot in the mirror settings');
  if (!robot.enabled) throw new SetupProblem(`the mirror robot account ${robot.name} is disabled`);
  return { robot, identity: { principal: { kind: 'robot', id: robot.id, name: robot.name, ownerId: robot.ownerId } } };
}

function externalSource(config: MirrorConfig): ExternalReference {
  try {
    return parseExternalReference(config.externalReference);
  } catch (err) {
    throw new SetupProblem((err as Error).message);
  }
}

function remoteOptions(deps: MirrorSyncDeps, config: MirrorConfig, registry: string): RemoteEndpointOptions {
  const credentials = openMirrorCredentials(deps.secrets, config);
  if (config.sealedUsername !== null && credentials === undefined) {
    throw new SetupProblem('the stored registry credentials cannot be decrypted with this DATABASE_SECRET_KEY; enter them again');
  }
  return {
    registry,
    credentials,
    verifyTls: config.registryConfig.verify_tls,
    extraCaPems: readExtraCaCerts(deps.config.configDir),
    proxy: config.registryConfig.proxy,
    ssrfAllowedHosts: deps.config.SSRF_ALLOWED_HOSTS,
    requestTimeoutMs: config.skopeoTimeoutSeconds * 1000,
    userAgent: USER_AGENT,
  };
}

function openDestination(deps: MirrorSyncDeps, repo: RepositoryWithNamespace, robot: MirrorRobot, log: Logger): MirrorDestination {
  const host = deps.config.REPO_MIRROR_SERVER_HOSTNAME;
  if (host === undefined) return new LocalDestination(deps, repo, robot.identity, log);
  const target = openPushTarget(
    {
      registry: host,
      credentials: { username: robot.robot.name, password: revealRobotToken(deps.secrets, robot.robot) },
      verifyTls: deps.config.REPO_MIRROR_TLS_VERIFY,
      extraCaPems: readExtraCaCerts(deps.config.configDir),
      userAgent: USER_AGENT,
    },
    `${repo.namespace_name}/${repo.name}`,
  );
  return new RegistryDestination(deps, repo, robot.identity, target);
}

async function claimedRepository(deps: MirrorSyncDeps, repositoryId: number): Promise<RepositoryWithNamespace | undefined> {
  const ref = await findRepositoryRefById(deps.db, repositoryId);
  return ref && findRepository(deps.db, ref);
}

class MirrorSync {
  private lastRenewal = nowMs();
  private readonly stats: CopyStats = { copied: 0, mounted: 0, present: 0, bytes: 0 };

  constructor(
    private readonly deps: MirrorSyncDeps,
    private readonly claim: MirrorClaim,
    private readonly repo: RepositoryWithNamespace,
    private readonly control: SyncControl,
    private readonly log: Logger,
  ) {}

  private get config(): MirrorConfig {
    return this.claim.config;
  }

  /** Between blobs and tags: stop when cancelled (or the claim was lost) or the worker stops; keep the claim alive. */
  private async checkpoint(): Promise<void> {
    if (await mirrorSyncCancelled(this.deps.db, this.claim)) throw new SyncInterrupted('cancel');
    if (this.control.stopRequested()) throw new SyncInterrupted('stop');
    const now = nowMs();
    if (now - this.lastRenewal >= CLAIM_RENEWAL_MS) {
      if (!(await extendMirrorClaim(this.deps.db, this.claim, now))) throw new SyncInterrupted('cancel');
      this.lastRenewal = now;
    }
  }

  async run(): Promise<SyncResult> {
    const robot = await mirrorRobot(this.deps, this.config);
    const source = externalSource(this.config);
    const remote = openRemoteRepository(remoteOptions(this.deps, this.config, source.registry), source.repository);
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

  private async syncTags(remote: RemoteRepository, destination: MirrorDestination): Promise<SyncResult> {
    const matched = filterTags(await remote.listTags(), this.config.tagPatterns);
    const before = await liveTagDigests(this.deps.db, this.repo.id);
    const copier: ManifestCopier = {
      remote,
      destination,
      policy: manifestPolicyFromConfig(this.deps.config),
      stats: this.stats,
      checkpoint: () => this.checkpoint(),
    };
    const copied: MirrorTagTarget[] = [];
    const failures: TagFailure[] = [];
    countPendingTags(this.deps.metrics, this.repo, matched.length);
    for (const [index, tag] of matched.entries()) {
      await this.checkpoint();
      try {
        copied.push({ tag, manifest: await copyTaggedManifest(copier, tag) });
      } catch (err) {
        if (err instanceof SyncInterrupted) throw err;
        const failure = describeFailure(err);
        this.log.warn({ tag, reason: failure.reason, message: failure.message }, 'mirror: tag copy failed');
        failures.push({ tag, ...failure });
      }
      countPendingTags(this.deps.metrics, this.repo, matched.length - index - 1);
    }
    await this.checkpoint();
    const changedTargets = copied.filter((c) => before.get(c.tag) !== c.manifest.digest);
    const rolledBack = failures.length > 0 && this.deps.config.REPO_MIRROR_ROLLBACK;
    const applied: AppliedTags = rolledBack
      ? { moved: [], removed: [], failed: [] }
      : await destination.applyTags(changedTargets, matched);
    for (const f of applied.failed) failures.push({ tag: f.tag, reason: 'internal', message: f.message });
    const moved = new Set(applied.moved);
    const changed = changedTargets.map((c) => c.tag).filter((tag) => moved.has(tag));
    const summary = { source: this.config.externalReference, matched: matched.length, changed, removed: applied.removed, failures, rolledBack };
    this.log.info({ matched: matched.length, changed: changed.length, removed: applied.removed.length, failed: failures.length, blobs: this.stats }, 'mirror: sync done');
    return {
      outcome: failures.length > 0 ? 'FAIL' : 'SUCCESS',
      message: syncMessage(summary),
      reason: failures.length > 0 ? dominantReason(failures) : '',
      changed,
      failures,
    };
  }
}

/** The result of a sync that could not start copying: a clear message for the failed status. */
function setupFailure(err: unknown): SyncResult {
  const failure = err instanceof SetupProblem ? { reason: 'config' as const, message: err.message } : describeFailure(err);
  return { outcome: 'FAIL', message: failure.message, reason: failure.reason, changed: [], failures: [] };
}

async function recordTagLogs(deps: MirrorSyncDeps, repo: RepositoryWithNamespace, result: SyncResult): Promise<void> {
  for (const tag of result.changed) {
    await logSync(deps, repo, 'repo_mirror_sync_tag_success', { verb: 'sync_tag', message: `tag ${tag} now follows the remote`, tag });
  }
  for (const failure of result.failures) {
    await logSync(deps, repo, 'repo_mirror_sync_tag_failed', { verb: 'sync_tag', message: failure.message, tag: failure.tag });
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
  await logSync(deps, repo, 'repo_mirror_sync_started', { verb: 'start', message: started, tags: claim.config.tagPatterns });
  await notifySync(deps, repo, 'repo_mirror_sync_started', started);

  let result: SyncResult;
  try {
    result = await new MirrorSync(deps, claim, repo, control, log).run();
  } catch (err) {
    if (err instanceof SyncInterrupted) return endInterrupted(deps, claim, previousStatus, repo, err.why, startedAt, log);
    if (!(err instanceof SetupProblem) && describeFailure(err).reason === 'internal') log.error({ err }, 'mirror: sync failed');
    result = setupFailure(err);
  }

  if (!(await releaseMirror(deps.db, claim, result.outcome, result.message, nowMs()))) {
    log.warn('mirror: the claim was taken over by another worker; this sync is not recorded');
    return 'LOST';
  }
  await recordTagLogs(deps, repo, result);
  const kind = result.outcome === 'SUCCESS' ? 'repo_mirror_sync_success' : 'repo_mirror_sync_failed';
  await logSync(deps, repo, kind, { verb: 'finish', message: result.message, tags: result.changed });
  await notifySync(deps, repo, kind, result.message);
  recordSyncOutcome(deps.metrics, repo, result.outcome, result.reason, (nowMs() - startedAt) / 1000);
  return result.outcome;
}

async function endInterrupted(
  deps: MirrorSyncDeps,
  claim: MirrorClaim,
  previousStatus: RepoMirrorStatus,
  repo: RepositoryWithNamespace,
  why: 'cancel' | 'stop',
  startedAt: number,
  log: Logger,
): Promise<SyncEnd> {
  const now = nowMs();
  if (why === 'stop' && (await handBackMirrorClaim(deps.db, claim, previousStatus, now))) {
    log.info('mirror: worker stopping; the sync is handed back unfinished, no tag changed');
    return 'HANDED_BACK';
  }
  const message = 'the sync was cancelled; no tag changed';
  if (!(await releaseMirror(deps.db, claim, 'CANCEL', message, now))) return 'LOST';
  await logSync(deps, repo, 'repo_mirror_sync_failed', { verb: 'cancel', message });
  recordSyncOutcome(deps.metrics, repo, 'CANCEL', 'cancelled', (now - startedAt) / 1000);
  return 'CANCEL';
}
