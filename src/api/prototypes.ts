import type { ApiRouter } from './router.js';

/** (Being written.) */
export function registerPrototypesRoutes(_router: ApiRouter): void {}
