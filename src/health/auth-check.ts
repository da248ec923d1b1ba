import type { UserDirectory } from '../auth/directory.js';
import type { HealthCheck } from './check.js';

/**
 * `auth`: the sign-in backend answers. Database authentication has nothing beyond the database
 * check to probe; an external directory (LDAP) is bound with its administrator credentials.
 */
export function authCheck(directory: UserDirectory | undefined, timeoutMs: number): HealthCheck {
  return {
    name: 'auth',
    timeoutMs,
    async run() {
      await directory?.ping?.();
    },
  };
}
