import type { AppContext } from '../context.js';
import { nowMs } from '../model/clock.js';
import { blobsWithExpiredLinks, collectBlobsReporting, type DeletedRows, mergeDeletedRows, unreferencedBlobs } from '../model/gc/blobs.js';
import { requeueAbandonedNamespacePurges, requeueAbandonedRepositoryPurges } from '../model/gc/abandoned-purges.js';
import {
  collectRepositoryGarbage,
  type RepositoryGarbageDeps,
  type RepositoryWithGarbage,
  repositoriesWithExpiredTags,
  repositoriesWithUntaggedManifests,
  withRepositoryGcLock,
} from '../model/gc/repository-garbage.js';
import { requestQuotaRecount } from '../model/quota-recount.js';
import type { RunningWorker } from './index.js';
import { PeriodicWorker } from './periodic-worker.js';

/**
 * The gc worker (Quay's gcworker): every GARBAGE_COLLECTION_FREQUENCY seconds it collects the
 * repositories with garbage (tags past the time machine, manifests pushed by digest whose hold ran
 * out), then sweeps expired blob links across all repositories and looks at the next stretch of
 * the blob table for blobs nothing references. It also queues again the purges of deleted
 * repositories and namespaces whose queue item was given up. Safe to run in several processes at
 * once: see docs/garbage-collection.md.
 */

export type GcContext = Pick<AppContext, 'db' | 'dialect' | 'storage' | 'config' | 'metrics' | 'log'>;

/** Repositories collected per run at most, per kind of search (expired tags, untagged manifests). */
const REPOSITORY_BATCH = 50;
/** Untagged manifests looked at per run at most to find their repositories. */
const UNTAGGED_SCAN = 1000;
/** Blobs with expired links handled per query. */
const LINK_BATCH = 500;
/** Blob rows checked for orphans per run; the scan resumes there next run and wraps around. */
const ORPHAN_SCAN = 1000;

export interface GcRunReport {
  repositories: number;
  manifestsDeleted: number;
  storageBlobsDeleted: number;
  rowsDeleted: DeletedRows;
}

export class GarbageCollector {
  /** Manifests PUT up to this time were already looked at by the untagged search. */
  private untaggedScannedUpTo = 0;
  private orphanScanAfter = 0;

  constructor(private readonly ctx: GcContext) {}

  private get deps(): RepositoryGarbageDeps {
    const { db, dialect, storage, config } = this.ctx;
    return { db, dialect, storage, pushHoldMs: config.PUSH_TEMP_TAG_EXPIRATION_SEC * 1000 };
  }

  /** One run; the counts also go to the gc metrics. */
  async run(): Promise<GcRunReport> {
    this.ctx.metrics.gcIterations.inc();
    const report: GcRunReport = { repositories: 0, manifestsDeleted: 0, storageBlobsDeleted: 0, rowsDeleted: {} };
    const now = nowMs();
    const { repositories, untaggedScannedUpTo } = await this.repositoriesWithGarbage(now);
    let allCollected = true;
    for (const repo of repositories) {
      if (!(await this.collectRepository(repo, now, report))) allCollected = false;
    }
    // A repository skipped (another collector had it) or failed is looked for again next run.
    if (allCollected) this.untaggedScannedUpTo = untaggedScannedUpTo;
    await this.sweepExpiredLinks(now, report);
    await this.scanForOrphans(now, report);
    await this.requeueAbandonedPurges(now);
    this.count(report);
    if (report.manifestsDeleted > 0 || report.storageBlobsDeleted > 0) {
      this.ctx.log.info({ worker: 'gc', ...report }, 'garbage collected');
    }
    return report;
  }

  private async repositoriesWithGarbage(now: number): Promise<{ repositories: RepositoryWithGarbage[]; untaggedScannedUpTo: number }> {
    const { db } = this.ctx;
    const expired = await repositoriesWithExpiredTags(db, now, REPOSITORY_BATCH);
    const untaggedUpTo = now - this.deps.pushHoldMs;
    const untagged = await repositoriesWithUntaggedManifests(db, this.untaggedScannedUpTo, untaggedUpTo, UNTAGGED_SCAN, REPOSITORY_BATCH);
    const byId = new Map([...expired, ...untagged.repositories].map((r) => [r.id, r]));
    return { repositories: [...byId.values()], untaggedScannedUpTo: untagged.scannedUpTo };
  }

  /** Collects one repository; false when another collector had it or the collection failed. */
  private async collectRepository(repo: RepositoryWithGarbage, now: number, report: GcRunReport): Promise<boolean> {
    const { db, dialect, config, log } = this.ctx;
    try {
      const result = await withRepositoryGcLock(db, dialect, repo.id, () => collectRepositoryGarbage(this.deps, repo, now));
      if (!result) return false;
      report.repositories++;
      report.manifestsDeleted += result.manifestsDeleted;
      report.storageBlobsDeleted += result.storageBlobsDeleted;
      mergeDeletedRows(report.rowsDeleted, result.rowsDeleted);
      for (const err of result.failures) log.warn({ err, worker: 'gc', repository: repo.id }, 'blob not collected');
      if (result.manifestsDeleted > 0 && config.FEATURE_QUOTA_MANAGEMENT) await requestQuotaRecount(db, repo.namespaceId);
      return true;
    } catch (err) {
      log.error({ err, worker: 'gc', repository: repo.id }, 'repository garbage collection failed');
      return false;
    }
  }

  /** Expired upload and mount links in every repository, and the blobs they leave unreferenced. */
  private async sweepExpiredLinks(now: number, report: GcRunReport): Promise<void> {
    let after = 0;
    for (;;) {
      const ids = await blobsWithExpiredLinks(this.ctx.db, now, after, LINK_BATCH);
      await this.collect(ids, report);
      if (ids.length < LINK_BATCH) return;
      after = ids.at(-1)!;
    }
  }

  private async scanForOrphans(now: number, report: GcRunReport): Promise<void> {
    const { ids, lastScanned } = await unreferencedBlobs(this.ctx.db, now, this.orphanScanAfter, ORPHAN_SCAN);
    this.orphanScanAfter = lastScanned ?? 0;
    await this.collect(ids, report);
  }

  /** Purges of deleted repositories and namespaces whose queue item is gone, for their workers. */
  private async requeueAbandonedPurges(now: number): Promise<void> {
    const { db, config, log } = this.ctx;
    try {
      const repositories = config.FEATURE_REPOSITORY_GARBAGE_COLLECTION ? await requeueAbandonedRepositoryPurges(db, now) : 0;
      const namespaces = config.FEATURE_NAMESPACE_GARBAGE_COLLECTION ? await requeueAbandonedNamespacePurges(db, now) : 0;
      if (repositories + namespaces > 0) log.warn({ worker: 'gc', repositories, namespaces }, 'abandoned purges queued again');
    } catch (err) {
      log.error({ err, worker: 'gc' }, 'looking for abandoned purges failed');
    }
  }

  private async collect(blobIds: number[], report: GcRunReport): Promise<void> {
    if (blobIds.length === 0) return;
    const result = await collectBlobsReporting(this.ctx, blobIds);
    report.storageBlobsDeleted += result.storageBlobsDeleted;
    mergeDeletedRows(report.rowsDeleted, result.rowsDeleted);
    for (const { blobId, error } of result.failures) this.ctx.log.warn({ err: error, worker: 'gc', blob: blobId }, 'blob not collected');
  }

  private count(report: GcRunReport): void {
    const { metrics } = this.ctx;
    if (report.storageBlobsDeleted > 0) metrics.gcStorageBlobsDeleted.inc(report.storageBlobsDeleted);
    for (const [table, count] of Object.entries(report.rowsDeleted)) metrics.gcTableRowsDeleted.inc({ table }, count);
  }
}

/** The gc worker, or undefined when FEATURE_GARBAGE_COLLECTION is off. */
export function createGcWorker(ctx: GcContext): { collector: GarbageCollector; worker: PeriodicWorker } | undefined {
  if (!ctx.config.FEATURE_GARBAGE_COLLECTION) return undefined;
  const collector = new GarbageCollector(ctx);
  const worker = new PeriodicWorker(ctx.log, {
    name: 'gc',
    intervalMs: ctx.config.GARBAGE_COLLECTION_FREQUENCY * 1000,
    run: async () => {
      await collector.run();
    },
  });
  return { collector, worker };
}

export function startGcWorker(ctx: GcContext): RunningWorker | undefined {
  const created = createGcWorker(ctx);
  if (!created) return undefined;
  created.worker.start();
  return created.worker;
}
