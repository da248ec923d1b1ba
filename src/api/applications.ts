import type { ApiRouter } from './router.js';

/** (Being written.) */
export function registerApplicationsRoutes(_router: ApiRouter): void {}
