import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { randomText } from '../auth/random-text.js';
import { type SecretBox, sealedSecretMatches } from '../auth/secret-box.js';
import type { AppTokenTable, Database } from '../db/tables.js';
import { Invalid, NotFound } from '../errors.js';
import { nowMs } from './clock.js';
import type { Namespace } from './namespaces.js';

/**
 * Application-specific tokens: passwords a user creates for one tool (`docker login -u '$app'`).
 * The first TOKEN_NAME_LENGTH characters are the lookup key; the rest is stored encrypted, since
 * Quay shows the whole token again to its owner.
 */

export type AppToken = Selectable<AppTokenTable>;

const TOKEN_NAME_LENGTH = 60;
const TOKEN_SECRET_LENGTH = 60;
const TOKEN_FORMAT = new RegExp(`^[A-Za-z0-9]{${TOKEN_NAME_LENGTH + TOKEN_SECRET_LENGTH}}$`);
const MAX_TITLE_LENGTH = 255;
/** last_accessed is written at most this often per token, so that pulls do not write on every request. */
const LAST_ACCESSED_RESOLUTION_MS = 60_000;

export interface NewAppToken {
  userId: number;
  title: string;
  /** Lifetime in seconds (APP_SPECIFIC_TOKEN_EXPIRATION); null for no expiry. */
  expiresInS: number | null;
}

export async function createAppToken(
  db: Kysely<Database>,
  secrets: SecretBox,
  input: NewAppToken,
): Promise<{ row: AppToken; token: string }> {
  const title = input.title.trim();
  if (title.length === 0 || title.length > MAX_TITLE_LENGTH) {
    throw new Invalid('input', `the token title must be 1-${MAX_TITLE_LENGTH} characters`);
  }
  const name = randomText(TOKEN_NAME_LENGTH);
  const secret = randomText(TOKEN_SECRET_LENGTH);
  const now = nowMs();
  const row = await db
    .insertInto('app_token')
    .values({
      uuid: randomUUID(),
      user_id: input.userId,
      title,
      token_name: name,
      token_secret_encrypted: secrets.seal(secret),
      created_at: now,
      expires_at: input.expiresInS === null ? null : now + input.expiresInS * 1000,
      last_accessed: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { row, token: name + secret };
}

export async function listAppTokens(db: Kysely<Database>, userId: number): Promise<AppToken[]> {
  return db.selectFrom('app_token').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
}

export async function getAppToken(db: Kysely<Database>, userId: number, uuid: string): Promise<AppToken> {
  const row = await db
    .selectFrom('app_token')
    .selectAll()
    .where('user_id', '=', userId)
    .where('uuid', '=', uuid)
    .executeTakeFirst();
  if (!row) throw new NotFound('token', `app token ${uuid} not found`);
  return row;
}

/** The whole token, as shown to its owner. */
export function revealAppToken(secrets: SecretBox, row: AppToken): string {
  const secret = secrets.open(row.token_secret_encrypted);
  if (secret === undefined) throw new Error(`app token ${row.uuid} cannot be decrypted with this DATABASE_SECRET_KEY`);
  return row.token_name + secret;
}

export async function revokeAppToken(db: Kysely<Database>, userId: number, uuid: string): Promise<void> {
  await getAppToken(db, userId, uuid);
  await db.deleteFrom('app_token').where('user_id', '=', userId).where('uuid', '=', uuid).execute();
}

/** The enabled user owning `token` when it is valid and unexpired; records when it was last used. */
export async function verifyAppToken(
  db: Kysely<Database>,
  secrets: SecretBox,
  token: string,
): Promise<{ user: Namespace; row: AppToken } | undefined> {
  if (!TOKEN_FORMAT.test(token)) return undefined;
  const row = await db
    .selectFrom('app_token')
    .selectAll()
    .where('token_name', '=', token.slice(0, TOKEN_NAME_LENGTH))
    .executeTakeFirst();
  if (!row) return undefined;
  if (!sealedSecretMatches(secrets, row.token_secret_encrypted, token.slice(TOKEN_NAME_LENGTH))) return undefined;
  const now = nowMs();
  if (row.expires_at !== null && row.expires_at <= now) return undefined;
  const user = await db
    .selectFrom('namespace')
    .selectAll()
    .where('id', '=', row.user_id)
    .where('kind', '=', 'user')
    .where('enabled', '=', 1)
    .executeTakeFirst();
  if (!user) return undefined;
  if (row.last_accessed === null || now - row.last_accessed > LAST_ACCESSED_RESOLUTION_MS) {
    await db.updateTable('app_token').set({ last_accessed: now }).where('id', '=', row.id).execute();
  }
  return { user, row };
}

/** The user's tokens that expire within `windowMs` from now (and have not expired yet). */
export async function listExpiringAppTokens(db: Kysely<Database>, userId: number, windowMs: number): Promise<AppToken[]> {
  const now = nowMs();
  return db
    .selectFrom('app_token')
    .selectAll()
    .where('user_id', '=', userId)
    .where('expires_at', 'is not', null)
    .where('expires_at', '>', now)
    .where('expires_at', '<=', now + windowMs)
    .orderBy('created_at')
    .execute();
}
