import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { probeDatabase } from '../model/health-probe.js';
import type { HealthCheck } from './check.js';

/** `database`: a short read from the metadata database. */
export function databaseCheck(db: Kysely<Database>, timeoutMs: number): HealthCheck {
  return { name: 'database', timeoutMs, run: () => probeDatabase(db) };
}
