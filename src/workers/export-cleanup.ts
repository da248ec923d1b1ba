import type { AppContext } from '../context.js';
import { nowMs } from '../model/clock.js';
import { removeExpiredLogExports } from '../model/gc/expired-exports.js';
import { PeriodicWorker } from './periodic-worker.js';

/**
 * The exportedlogscleanup worker: once an hour, usage-log exports whose download link expired are
 * removed, with their stored documents.
 */

export type ExportCleanupContext = Pick<AppContext, 'db' | 'storage' | 'metrics' | 'log'>;

export const EXPORT_CLEANUP_INTERVAL_MS = 60 * 60_000;
const FIRST_RUN_DELAY_MS = 90_000;

export async function cleanUpExpiredExports(ctx: ExportCleanupContext): Promise<number> {
  const removed = await removeExpiredLogExports(ctx, nowMs());
  if (removed.rows > 0) {
    ctx.metrics.gcTableRowsDeleted.inc({ table: 'log_export' }, removed.rows);
    ctx.log.info({ exports: removed.rows, documents: removed.documents }, 'expired usage-log exports removed');
  }
  return removed.rows;
}

export function createExportCleanupWorker(ctx: ExportCleanupContext): PeriodicWorker {
  return new PeriodicWorker(ctx.log, {
    name: 'exportedlogscleanup',
    intervalMs: EXPORT_CLEANUP_INTERVAL_MS,
    initialDelayMs: FIRST_RUN_DELAY_MS,
    run: async () => {
      await cleanUpExpiredExports(ctx);
    },
  });
}

export function startExportCleanupWorker(ctx: ExportCleanupContext): PeriodicWorker {
  const worker = createExportCleanupWorker(ctx);
  worker.start();
  return worker;
}
