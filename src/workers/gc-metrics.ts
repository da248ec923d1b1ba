import type { AppContext } from '../context.js';
import type { PurgeObserver } from '../model/gc/purge-chunks.js';

/**
 * What the repository and namespace purges report: removals feed the gc metrics, and a blob left
 * for the gc worker is logged under the purging worker's name.
 */
export function purgeObserver(ctx: Pick<AppContext, 'metrics' | 'log'>, worker: string): PurgeObserver {
  const { metrics, log } = ctx;
  return {
    rowsDeleted: (table, count) => metrics.gcTableRowsDeleted.inc({ table }, count),
    blobsDeleted: (count) => {
      if (count > 0) metrics.gcStorageBlobsDeleted.inc(count);
    },
    repositoryPurged: () => metrics.gcReposPurged.inc(),
    blobNotCollected: (blobId, err) => log.warn({ err, worker, blob: blobId }, 'blob not collected; the gc worker retries it'),
  };
}
