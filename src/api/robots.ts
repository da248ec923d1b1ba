import type { ApiRouter } from './router.js';

/** (Being written.) */
export function registerRobotsRoutes(_router: ApiRouter): void {}
