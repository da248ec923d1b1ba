import type { ApiRouter } from './router.js';

/** (Being written.) */
export function registerOrganizationsRoutes(_router: ApiRouter): void {}
