import type { ApiRouter } from './router.js';

/** (Being written.) */
export function registerPermissionsRoutes(_router: ApiRouter): void {}
