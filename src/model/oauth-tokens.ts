import { createHash, randomInt, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, OAuthAccessTokenTable, OAuthApplicationTable } from '../db/tables.js';
import { nowMs } from './clock.js';
import type { Namespace } from './namespaces.js';

export type OAuthApplication = Selectable<OAuthApplicationTable>;
export type OAuthAccessToken = Selectable<OAuthAccessTokenTable>;

/** Every scope Quay knows; user initialize grants all of them. */
export const ALL_OAUTH_SCOPES = [
  'org:admin',
  'repo:admin',
  'repo:create',
  'repo:read',
  'repo:write',
  'super:user',
  'user:admin',
  'user:read',
] as const;

const TOKEN_NAME_LENGTH = 40;
const TOKEN_SECRET_LENGTH = 40;
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const TOKEN_FORMAT = new RegExp(`^[A-Za-z0-9]{${TOKEN_NAME_LENGTH + TOKEN_SECRET_LENGTH}}$`);

function randomTokenText(length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += TOKEN_ALPHABET[randomInt(TOKEN_ALPHABET.length)];
  return text;
}

// The secret is 40 random characters (~238 bits), so a fast hash is enough: there is nothing to brute-force.
function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function secretMatches(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export interface NewOAuthApplication {
  namespaceId: number;
  name: string;
  clientId?: string | undefined;
  description?: string | undefined;
}

export async function createOAuthApplication(db: Kysely<Database>, input: NewOAuthApplication): Promise<OAuthApplication> {
  return db
    .insertInto('oauth_application')
    .values({
      uuid: randomUUID(),
      namespace_id: input.namespaceId,
      client_id: input.clientId ?? randomTokenText(20).toUpperCase(),
      name: input.name,
      description: input.description ?? '',
      created_at: nowMs(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface NewAccessToken {
  applicationId: number;
  /** The user the token acts as. */
  userId: number;
  scopes: readonly string[];
  /** Lifetime in seconds; null for a token that never expires. */
  expiresInS: number | null;
}

export interface CreatedAccessToken {
  row: OAuthAccessToken;
  /** The token itself: shown once, never stored. */
  token: string;
}

export async function createAccessToken(db: Kysely<Database>, input: NewAccessToken): Promise<CreatedAccessToken> {
  const name = randomTokenText(TOKEN_NAME_LENGTH);
  const secret = randomTokenText(TOKEN_SECRET_LENGTH);
  const now = nowMs();
  const row = await db
    .insertInto('oauth_access_token')
    .values({
      uuid: randomUUID(),
      application_id: input.applicationId,
      namespace_id: input.userId,
      scope: input.scopes.join(' '),
      token_name: name,
      token_secret_hash: hashSecret(secret),
      expires_at: input.expiresInS === null ? null : now + input.expiresInS * 1000,
      created_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { row, token: name + secret };
}

export interface VerifiedAccessToken {
  user: Namespace;
  scopes: string[];
  tokenUuid: string;
}

/** The user and scopes of a valid, unexpired access token; undefined for anything else. */
export async function verifyAccessToken(db: Kysely<Database>, token: string): Promise<VerifiedAccessToken | undefined> {
  if (!TOKEN_FORMAT.test(token)) return undefined;
  const name = token.slice(0, TOKEN_NAME_LENGTH);
  const secret = token.slice(TOKEN_NAME_LENGTH);
  const found = await db
    .selectFrom('oauth_access_token')
    .selectAll()
    .where('token_name', '=', name)
    .executeTakeFirst();
  if (!found || !secretMatches(secret, found.token_secret_hash)) return undefined;
  if (found.expires_at !== null && found.expires_at <= nowMs()) return undefined;
  const user = await db.selectFrom('namespace').selectAll().where('id', '=', found.namespace_id).executeTakeFirst();
  if (!user) return undefined;
  return { user, scopes: found.scope.split(' ').filter((s) => s.length > 0), tokenUuid: found.uuid };
}
