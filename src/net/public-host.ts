import type { QuaysideConfig } from '../config/load.js';

/**
 * The `service` of the registry's WWW-Authenticate challenges and the `aud` of its tokens:
 * SERVER_HOSTNAME, or the Host the client used when none is configured.
 */
export function registryService(config: QuaysideConfig, hostHeader: string | undefined): string {
  return config.SERVER_HOSTNAME ?? hostHeader ?? 'localhost';
}
