import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { nowMs } from './clock.js';

/** Published public keys (JWK) of the processes that sign tokens: Quay's ServiceKey table. */

export interface PublishedKey {
  kid: string;
  service: string;
  jwk: string;
}

/** Inserts the key (created now), or extends its expiry when it is already published. */
export async function publishServiceKey(
  db: Kysely<Database>,
  key: PublishedKey,
  now: number,
  expiresAt: number,
): Promise<void> {
  const renewed = await db
    .updateTable('service_key')
    .set({ expires_at: expiresAt })
    .where('kid', '=', key.kid)
    .executeTakeFirst();
  if (Number(renewed.numUpdatedRows) > 0) return;
  await db
    .insertInto('service_key')
    .values({ ...key, created_at: now, expires_at: expiresAt })
    .execute();
}

export async function deleteExpiredServiceKeys(db: Kysely<Database>, service: string): Promise<void> {
  await db
    .deleteFrom('service_key')
    .where('service', '=', service)
    .where('expires_at', 'is not', null)
    .where('expires_at', '<', nowMs())
    .execute();
}

/** An unexpired key of `service` by kid. */
export async function findServiceKey(
  db: Kysely<Database>,
  service: string,
  kid: string,
): Promise<{ jwk: string; expires_at: number | null } | undefined> {
  const now = nowMs();
  return db
    .selectFrom('service_key')
    .select(['jwk', 'expires_at'])
    .where('kid', '=', kid)
    .where('service', '=', service)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirst();
}
