import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { nowMs } from '../model/clock.js';
import { QUEUE_NAMES, queueDepths } from '../model/queue.js';
import { countRows, type RowCounts } from '../model/row-counts.js';
import type { Metrics } from './registry.js';

export interface DatabaseGaugeOptions {
  /** How long row counts are reused between scrapes (default 30 s): a tight scrape interval must not load the database. */
  rowCountsTtlMs?: number;
}

const DEFAULT_ROW_COUNTS_TTL_MS = 30_000;

/**
 * Fills the gauges whose values live in the database, at scrape time: queue depths from one grouped
 * query on every scrape (a backlog must show at once), row counts at most once per TTL.
 */
export function collectDatabaseGauges(metrics: Metrics, db: Kysely<Database>, options: DatabaseGaugeOptions = {}): void {
  const ttlMs = options.rowCountsTtlMs ?? DEFAULT_ROW_COUNTS_TTL_MS;
  let counted: { at: number; rows: RowCounts } | undefined;

  metrics.onCollect(async () => {
    const depths = await queueDepths(db);
    for (const queue of QUEUE_NAMES) {
      const depth = depths[queue];
      metrics.queueItemsAvailable.set({ queue_name: queue }, depth.available);
      metrics.queueItemsAvailableUnlocked.set({ queue_name: queue }, depth.availableUnlocked);
      metrics.queueItemsLocked.set({ queue_name: queue }, depth.locked);
    }
  });

  metrics.onCollect(async () => {
    const now = nowMs();
    if (!counted || now - counted.at >= ttlMs) counted = { at: now, rows: await countRows(db) };
    const { rows } = counted;
    metrics.userRows.set(rows.users);
    metrics.robotRows.set(rows.robots);
    metrics.orgRows.set(rows.organizations);
    metrics.repositoryRows.set(rows.repositories);
    metrics.unscannedImagesRemaining.set(rows.manifests);
  });
}
