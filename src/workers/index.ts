import type { AppContext } from '../context.js';
import { startLogExportWorker } from './export-logs.js';
import { startNotificationWorker } from './notifications.js';
import { startTeamSyncWorker } from './team-sync.js';

/** The background workers one process runs (in-process on the embedded profile). */
export interface BackgroundWorkers {
  stop(): Promise<void>;
}

export function startBackgroundWorkers(ctx: AppContext): BackgroundWorkers {
  const teamSync = startTeamSyncWorker(ctx);
  const logExport = startLogExportWorker(ctx);
  const notifications = startNotificationWorker(ctx);
  return {
    async stop() {
      await teamSync?.stop();
      await logExport?.stop();
      await notifications.stop();
    },
  };
}
