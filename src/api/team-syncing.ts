import type { ApiRouter } from './router.js';

/** (Being written.) */
export function registerTeamSyncingRoutes(_router: ApiRouter): void {}
