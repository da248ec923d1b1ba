import type { ApiRouter } from './router.js';

/** (Being written.) */
export function registerRepositoriesRoutes(_router: ApiRouter): void {}
