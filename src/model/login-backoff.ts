import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { nowMs } from './clock.js';
import type { Namespace } from './namespaces.js';

/**
 * Back-off after repeated wrong passwords for one account: the first few failures cost nothing,
 * then each further attempt must wait twice as long as the one before, up to an hour. A correct
 * password after the wait resets the count. Only password checks count; tokens are long random
 * secrets that cannot be guessed.
 */

const FREE_FAILURES = 5;
const MAX_WAIT_MS = 3_600_000;

/** Milliseconds the account must wait before its password may be checked again (0: no wait). */
export function loginWaitMs(user: Pick<Namespace, 'invalid_login_attempts' | 'last_invalid_login'>, now = nowMs()): number {
  const excess = user.invalid_login_attempts - FREE_FAILURES;
  if (excess < 0 || user.last_invalid_login === null) return 0;
  const wait = Math.min(MAX_WAIT_MS, 1000 * 2 ** Math.min(excess, 30));
  return Math.max(0, user.last_invalid_login + wait - now);
}

export async function recordFailedLogin(db: Kysely<Database>, userId: number): Promise<void> {
  await db
    .updateTable('namespace')
    .set((eb) => ({ invalid_login_attempts: eb('invalid_login_attempts', '+', 1), last_invalid_login: nowMs() }))
    .where('id', '=', userId)
    .execute();
}

export async function clearFailedLogins(db: Kysely<Database>, user: Pick<Namespace, 'id' | 'invalid_login_attempts'>): Promise<void> {
  if (user.invalid_login_attempts === 0) return;
  await db.updateTable('namespace').set({ invalid_login_attempts: 0, last_invalid_login: null }).where('id', '=', user.id).execute();
}
