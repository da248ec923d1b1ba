import type { AppContext } from '../context.js';
import { startTeamSyncWorker } from './team-sync.js';

/** The background workers one process runs (in-process on the embedded profile). */
export interface BackgroundWorkers {
  stop(): Promise<void>;
}

export function startBackgroundWorkers(ctx: AppContext): BackgroundWorkers {
  const teamSync = startTeamSyncWorker(ctx);
  return {
    async stop() {
      await teamSync?.stop();
    },
  };
}
