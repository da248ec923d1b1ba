import type { ApiRouter } from './router.js';

/** (Being written.) */
export function registerUsersRoutes(_router: ApiRouter): void {}
