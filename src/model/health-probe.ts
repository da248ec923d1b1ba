import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { nowMs } from './clock.js';

/**
 * The database side of the health checks. Reading a real table (not just `SELECT 1`) also proves
 * that the migrated schema is there.
 */
export async function probeDatabase(db: Kysely<Database>): Promise<void> {
  await db.selectFrom('namespace').select('id').limit(1).execute();
}

/**
 * Why the signing key `kid` of `service` cannot verify tokens (missing, waiting for approval,
 * expired), or undefined when it is published, approved and unexpired.
 */
export async function serviceKeyProblem(db: Kysely<Database>, service: string, kid: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('service_key')
    .select(['approval_type', 'expires_at'])
    .where('kid', '=', kid)
    .where('service', '=', service)
    .executeTakeFirst();
  if (!row) return `signing key ${kid} is not published in service_key`;
  if (row.approval_type === null) return `signing key ${kid} is waiting for approval`;
  if (row.expires_at !== null && Number(row.expires_at) <= nowMs()) return `signing key ${kid} has expired`;
  return undefined;
}
