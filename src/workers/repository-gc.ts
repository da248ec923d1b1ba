import type { AppContext } from '../context.js';
import { purgeRepository } from '../model/gc/purge-repository.js';
import { asSafeInteger } from '../model/narrow.js';
import type { LeasedItem } from '../model/queue.js';
import { requestQuotaRecount } from '../model/quota-recount.js';
import { purgeObserver } from './gc-metrics.js';
import { QueueWorker } from './queue-worker.js';

/**
 * The repositorygc worker (Quay's repositorygcworker): purges each repository the API deleted
 * (markRepositoryForDeletion queued it) and the blobs only it held. The queue lease gives each
 * item one holder; the purge itself is safe to repeat, so a retry after a crash finishes it.
 */

export type RepositoryGcContext = Pick<AppContext, 'db' | 'dialect' | 'storage' | 'config' | 'metrics' | 'log'>;

/** A long lease: a huge repository takes a while, and a second holder would only duplicate work. */
export const GC_LEASE_MS = 30 * 60_000;

export function createRepositoryGcWorker(ctx: RepositoryGcContext, options: { pollMs?: number } = {}): QueueWorker {
  const observer = purgeObserver(ctx, 'repositorygc');

  async function handle(item: LeasedItem): Promise<void> {
    const repositoryId = asSafeInteger(item.body['repository_id']);
    if (repositoryId === undefined) {
      ctx.log.warn({ item: item.id }, 'repositorygc item without a repository id; dropped');
      return;
    }
    const result = await purgeRepository(ctx, repositoryId, observer);
    const logged = { repository: repositoryId, name: `${item.body['namespace']}/${item.body['original_name']}` };
    if (result.status === 'live') ctx.log.warn(logged, 'repositorygc item names a repository not marked for deletion; left alone');
    if (result.status !== 'purged') return;
    ctx.log.info(logged, 'deleted repository purged');
    if (ctx.config.FEATURE_QUOTA_MANAGEMENT) await requestQuotaRecount(ctx.db, result.namespaceId);
  }

  return new QueueWorker(
    { db: ctx.db, dialect: ctx.dialect, log: ctx.log },
    { queue: 'repositorygc', handle, leaseMs: GC_LEASE_MS, ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}) },
  );
}

/** Starts the worker when FEATURE_REPOSITORY_GARBAGE_COLLECTION is on. */
export function startRepositoryGcWorker(ctx: RepositoryGcContext): QueueWorker | undefined {
  if (!ctx.config.FEATURE_REPOSITORY_GARBAGE_COLLECTION) return undefined;
  const worker = createRepositoryGcWorker(ctx);
  worker.start();
  return worker;
}
