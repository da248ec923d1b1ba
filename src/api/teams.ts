import type { ApiRouter } from './router.js';

/** (Being written.) */
export function registerTeamsRoutes(_router: ApiRouter): void {}
