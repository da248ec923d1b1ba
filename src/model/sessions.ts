import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { hashSecret, secretMatchesHash } from '../auth/hashed-secrets.js';
import type { Database, UserSessionTable } from '../db/tables.js';
import { nowMs } from './clock.js';
import type { Namespace } from './namespaces.js';

/**
 * Browser sessions for the web UI and the API: kept in the database so that any replica can serve
 * any request, revocable by signing out. The cookie holds `<name>.<secret>`; only the secret's
 * SHA-256 is stored.
 */

export type UserSession = Selectable<UserSessionTable>;

const NAME_BYTES = 18;
const SECRET_BYTES = 32;
/** Sessions are extended on use, but not written more than once a minute. */
const RENEWAL_RESOLUTION_MS = 60_000;

export interface CreatedSession {
  session: UserSession;
  /** The cookie value; never stored. */
  cookieValue: string;
}

export async function createSession(db: Kysely<Database>, userId: number, lifetimeS: number): Promise<CreatedSession> {
  const name = randomBytes(NAME_BYTES).toString('base64url');
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  const now = nowMs();
  const session = await db
    .insertInto('user_session')
    .values({
      token_name: name,
      token_secret_hash: hashSecret(secret),
      user_id: userId,
      csrf_token: randomBytes(SECRET_BYTES).toString('base64url'),
      created_at: now,
      login_at: now,
      expires_at: now + lifetimeS * 1000,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { session, cookieValue: `${name}.${secret}` };
}

/** The live session and its enabled user for a cookie value; undefined for anything else. */
export async function findSession(
  db: Kysely<Database>,
  cookieValue: string,
  lifetimeS: number,
): Promise<{ session: UserSession; user: Namespace; renewed: boolean } | undefined> {
  const dot = cookieValue.indexOf('.');
  if (dot <= 0 || cookieValue.length > 200) return undefined;
  const session = await db
    .selectFrom('user_session')
    .selectAll()
    .where('token_name', '=', cookieValue.slice(0, dot))
    .executeTakeFirst();
  if (!session) return undefined;
  if (!secretMatchesHash(cookieValue.slice(dot + 1), session.token_secret_hash)) return undefined;
  const now = nowMs();
  if (session.expires_at <= now) return undefined;
  const user = await db
    .selectFrom('namespace')
    .selectAll()
    .where('id', '=', session.user_id)
    .where('enabled', '=', 1)
    .where('kind', '=', 'user')
    .executeTakeFirst();
  if (!user) return undefined;
  const extendedTo = now + lifetimeS * 1000;
  const renewed = extendedTo - session.expires_at > RENEWAL_RESOLUTION_MS;
  if (renewed) {
    await db.updateTable('user_session').set({ expires_at: extendedTo }).where('id', '=', session.id).execute();
  }
  return { session, user, renewed };
}

/** Records that the user just proved their password again (fresh login). */
export async function refreshSessionLogin(db: Kysely<Database>, sessionId: number): Promise<void> {
  await db.updateTable('user_session').set({ login_at: nowMs() }).where('id', '=', sessionId).execute();
}

export async function deleteSession(db: Kysely<Database>, sessionId: number): Promise<void> {
  await db.deleteFrom('user_session').where('id', '=', sessionId).execute();
}

/** Signs a user out everywhere, e.g. after a password change or when the account is disabled. */
export async function deleteUserSessions(db: Kysely<Database>, userId: number, exceptSessionId?: number): Promise<void> {
  let query = db.deleteFrom('user_session').where('user_id', '=', userId);
  if (exceptSessionId !== undefined) query = query.where('id', '!=', exceptSessionId);
  await query.execute();
}
