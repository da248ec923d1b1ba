import type { AppContext } from '../context.js';
import { nowMs } from '../model/clock.js';
import { removeStaleUploads } from '../model/gc/stale-uploads.js';
import { PeriodicWorker } from './periodic-worker.js';

/**
 * The blobuploadcleanup worker (Quay's blobuploadcleanupworker): once an hour, upload sessions
 * untouched for BLOBUPLOAD_DELETION_DATE_THRESHOLD seconds are removed with their stored parts.
 */

export type UploadCleanupContext = Pick<AppContext, 'db' | 'storage' | 'config' | 'metrics' | 'log'>;

export const UPLOAD_CLEANUP_INTERVAL_MS = 60 * 60_000;
/** The first run comes soon after start, not an hour later. */
const FIRST_RUN_DELAY_MS = 60_000;

export async function cleanUpStaleUploads(ctx: UploadCleanupContext): Promise<number> {
  const cutoff = nowMs() - ctx.config.BLOBUPLOAD_DELETION_DATE_THRESHOLD * 1000;
  const removed = await removeStaleUploads(ctx, cutoff);
  if (removed > 0) {
    ctx.metrics.gcTableRowsDeleted.inc({ table: 'upload' }, removed);
    ctx.log.info({ uploads: removed }, 'stale upload sessions removed');
  }
  return removed;
}

export function createUploadCleanupWorker(ctx: UploadCleanupContext): PeriodicWorker {
  return new PeriodicWorker(ctx.log, {
    name: 'blobuploadcleanup',
    intervalMs: UPLOAD_CLEANUP_INTERVAL_MS,
    initialDelayMs: FIRST_RUN_DELAY_MS,
    run: async () => {
      await cleanUpStaleUploads(ctx);
    },
  });
}

export function startUploadCleanupWorker(ctx: UploadCleanupContext): PeriodicWorker {
  const worker = createUploadCleanupWorker(ctx);
  worker.start();
  return worker;
}
