import type { Metrics } from '../metrics/registry.js';
import type { PurgeObserver } from '../model/gc/purge-chunks.js';

/** Feeds what the repository and namespace purges remove into the gc metrics. */
export function purgeMetrics(metrics: Metrics): PurgeObserver {
  return {
    rowsDeleted: (table, count) => metrics.gcTableRowsDeleted.inc({ table }, count),
    blobsDeleted: (count) => {
      if (count > 0) metrics.gcStorageBlobsDeleted.inc(count);
    },
    repositoryPurged: () => metrics.gcReposPurged.inc(),
  };
}
