import type { Kysely } from 'kysely';
import { REGISTRY_TOKEN_ISSUER } from '../auth/registry-jwt.js';
import type { Database } from '../db/tables.js';
import { serviceKeyProblem } from '../model/health-probe.js';
import type { HealthCheck } from './check.js';

/**
 * `service_key`: the key this instance signs registry tokens with is published and approved, so
 * that every replica (this one included) accepts the tokens it hands out.
 */
export function serviceKeyCheck(db: Kysely<Database>, keyId: string, timeoutMs: number): HealthCheck {
  return {
    name: 'service_key',
    timeoutMs,
    async run() {
      const problem = await serviceKeyProblem(db, REGISTRY_TOKEN_ISSUER, keyId);
      if (problem) throw new Error(problem);
    },
  };
}
