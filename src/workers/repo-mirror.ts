import { randomInt } from 'node:crypto';
import { registryAcceptsWrites } from '../auth/authorize.js';
import { nowMs } from '../model/clock.js';
import { claimMirror, dueMirrors, type MirrorConfig, releaseMirror } from '../model/repo-mirror.js';
import { type MirrorSyncDeps, runMirrorSync, type SyncEnd } from '../mirror/sync.js';
import { PeriodicWorker } from './periodic-worker.js';

/**
 * The repomirror worker (Quay's repomirrorworker): every REPO_MIRROR_INTERVAL seconds it takes the
 * mirrors that are due, in random order so that several workers spread over them, claims each
 * (only one worker wins a claim) and syncs it, until none is left. A mirror that fails is retried
 * at the next run, not within the same one. stop() ends the sync in hand before its next blob and
 * hands its claim back, so another worker takes it over at once.
 */

export type RepoMirrorContext = MirrorSyncDeps;

/** How many due mirrors one query fetches. */
const DUE_BATCH = 20;

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export class RepoMirrorWorker {
  private readonly periodic: PeriodicWorker;
  private stopping = false;
  private inFlight: Promise<void> | undefined;

  constructor(private readonly ctx: RepoMirrorContext) {
    this.periodic = new PeriodicWorker(ctx.log, {
      name: 'repomirror',
      intervalMs: ctx.config.REPO_MIRROR_INTERVAL * 1000,
      run: async () => {
        await this.runOnce();
      },
    });
  }

  start(): void {
    this.stopping = false;
    this.periodic.start();
  }

  /** Ends the sync in hand at its next blob (its claim handed back) and waits for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([this.periodic.stop(), this.inFlight]);
  }

  /** Syncs every mirror due now, one at a time; the outcomes by repository id (tests, CLI). */
  async runOnce(): Promise<Map<number, SyncEnd>> {
    const run = this.syncDueMirrors();
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight = settled;
    try {
      return await run;
    } finally {
      if (this.inFlight === settled) this.inFlight = undefined;
    }
  }

  private async syncDueMirrors(): Promise<Map<number, SyncEnd>> {
    const handled = new Map<number, SyncEnd>();
    // A read-only registry or one refusing pushes pauses mirroring rather than failing every sync.
    if (!registryAcceptsWrites(this.ctx.config) || this.ctx.config.DISABLE_PUSHES) return handled;
    const runStartedAt = nowMs();
    while (!this.stopping) {
      // Mirrors whose sync ended during this run (here or in another worker) wait for the next run.
      const due = (await dueMirrors(this.ctx.db, nowMs(), DUE_BATCH, runStartedAt)).filter((c) => !handled.has(c.repositoryId));
      if (due.length === 0) break;
      for (const config of shuffled(due)) {
        if (this.stopping) break;
        const end = await this.syncIfClaimed(config);
        // A lost race counts as handled: the winner syncs it.
        handled.set(config.repositoryId, end ?? 'LOST');
      }
    }
    return handled;
  }

  private async syncIfClaimed(config: MirrorConfig): Promise<SyncEnd | undefined> {
    const claim = await claimMirror(this.ctx.db, config, nowMs());
    if (!claim) return undefined;
    this.ctx.metrics.mirrorWorkersActive.inc();
    try {
      return await runMirrorSync(this.ctx, claim, config.syncStatus, { stopRequested: () => this.stopping });
    } catch (err) {
      // The database or storage failed under the sync: end the claim rather than hold it for 12 hours.
      this.ctx.log.error({ err, repositoryId: config.repositoryId }, 'mirror sync failed unexpectedly');
      const message = `the sync failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`;
      const released = await releaseMirror(this.ctx.db, claim, 'FAIL', message, nowMs()).catch(() => false);
      return released ? 'FAIL' : 'LOST';
    } finally {
      this.ctx.metrics.mirrorWorkersActive.dec();
    }
  }
}

/** Starts the worker when FEATURE_REPO_MIRROR is on. */
export function startRepoMirrorWorker(ctx: RepoMirrorContext): RepoMirrorWorker | undefined {
  if (!ctx.config.FEATURE_REPO_MIRROR) return undefined;
  const worker = new RepoMirrorWorker(ctx);
  worker.start();
  return worker;
}
