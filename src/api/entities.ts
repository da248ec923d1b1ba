import type { ApiRouter } from './router.js';

/** (Being written.) */
export function registerEntitiesRoutes(_router: ApiRouter): void {}
