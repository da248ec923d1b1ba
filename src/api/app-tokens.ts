import type { ApiRouter } from './router.js';

/** (Being written.) */
export function registerAppTokensRoutes(_router: ApiRouter): void {}
