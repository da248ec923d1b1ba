import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { hashSecret, secretMatchesHash } from '../auth/hashed-secrets.js';
import { randomText } from '../auth/random-text.js';
import type { SecretBox } from '../auth/secret-box.js';
import type { Database, NamespaceKind, OAuthAccessTokenTable, OAuthApplicationTable } from '../db/tables.js';
import { Invalid, NotFound } from '../errors.js';
import { nowMs } from './clock.js';
import type { Namespace } from './namespaces.js';
import { validateEmail } from './users.js';

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
const TOKEN_FORMAT = new RegExp(`^[A-Za-z0-9]{${TOKEN_NAME_LENGTH + TOKEN_SECRET_LENGTH}}$`);

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
      client_id: input.clientId ?? randomText(20).toUpperCase(),
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
  const name = randomText(TOKEN_NAME_LENGTH);
  const secret = randomText(TOKEN_SECRET_LENGTH);
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
  if (!found || !secretMatchesHash(secret, found.token_secret_hash)) return undefined;
  if (found.expires_at !== null && found.expires_at <= nowMs()) return undefined;
  const user = await db.selectFrom('namespace').selectAll().where('id', '=', found.namespace_id).executeTakeFirst();
  if (!user) return undefined;
  return { user, scopes: found.scope.split(' ').filter((s) => s.length > 0), tokenUuid: found.uuid };
}

// ---- applications registered by an organization ------------------------------------------------

const CLIENT_ID_LENGTH = 20;
const CLIENT_SECRET_LENGTH = 40;
const MAX_APPLICATION_NAME_LENGTH = 255;
const MAX_APPLICATION_DESCRIPTION_LENGTH = 4096;
const MAX_URI_LENGTH = 2048;

/** What an organization admin sets on an application. */
export interface ApplicationDetails {
  name: string;
  description?: string | undefined;
  applicationUri?: string | undefined;
  redirectUri?: string | undefined;
  avatarEmail?: string | null | undefined;
}

interface ApplicationColumns {
  name: string;
  description: string;
  application_uri: string;
  redirect_uri: string;
  avatar_email: string | null;
}

/**
 * An empty string, or an absolute http(s) URL without a fragment. Other schemes (javascript:,
 * data:) are refused because the redirect URI receives access tokens and browsers follow it.
 */
function validateWebUri(field: string, value: string): string {
  const uri = value.trim();
  if (uri === '') return '';
  if (uri.length > MAX_URI_LENGTH) throw new Invalid('input', `${field} must be at most ${MAX_URI_LENGTH} characters`);
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    throw new Invalid('input', `${field} must be an absolute URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new Invalid('input', `${field} must be an http or https URL`);
  }
  if (uri.includes('#')) throw new Invalid('input', `${field} must not contain a fragment (#)`);
  // Redirects send the URI as a Location header, which must be printable ASCII (percent-encode the rest).
  if (!/^[\x21-\x7e]+$/.test(uri)) throw new Invalid('input', `${field} must be printable ASCII without spaces`);
  return uri;
}

function applicationColumns(details: ApplicationDetails): ApplicationColumns {
  const name = details.name.trim();
  if (name.length === 0 || name.length > MAX_APPLICATION_NAME_LENGTH) {
    throw new Invalid('input', `the application name must be 1-${MAX_APPLICATION_NAME_LENGTH} characters`);
  }
  const description = details.description ?? '';
  if (description.length > MAX_APPLICATION_DESCRIPTION_LENGTH) {
    throw new Invalid('input', `the description must be at most ${MAX_APPLICATION_DESCRIPTION_LENGTH} characters`);
  }
  const avatarEmail = details.avatarEmail?.trim() || null;
  if (avatarEmail !== null) validateEmail(avatarEmail);
  return {
    name,
    description,
    application_uri: validateWebUri('application_uri', details.applicationUri ?? ''),
    redirect_uri: validateWebUri('redirect_uri', details.redirectUri ?? ''),
    avatar_email: avatarEmail,
  };
}

/** Registers an application of `namespaceId` with a random client id and an encrypted client secret. */
export async function createApplicationWithSecret(
  db: Kysely<Database>,
  secrets: SecretBox,
  namespaceId: number,
  details: ApplicationDetails,
): Promise<OAuthApplication> {
  const columns = applicationColumns(details);
  return db
    .insertInto('oauth_application')
    .values({
      ...columns,
      uuid: randomUUID(),
      namespace_id: namespaceId,
      client_id: randomText(CLIENT_ID_LENGTH).toUpperCase(),
      client_secret_encrypted: secrets.seal(randomText(CLIENT_SECRET_LENGTH)),
      created_at: nowMs(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function listNamespaceApplications(db: Kysely<Database>, namespaceId: number): Promise<OAuthApplication[]> {
  return db
    .selectFrom('oauth_application')
    .selectAll()
    .where('namespace_id', '=', namespaceId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** The application `clientId` of `namespaceId`; NotFound when it belongs to someone else or does not exist. */
export async function getNamespaceApplication(
  db: Kysely<Database>,
  namespaceId: number,
  clientId: string,
): Promise<OAuthApplication> {
  const row = await db
    .selectFrom('oauth_application')
    .selectAll()
    .where('namespace_id', '=', namespaceId)
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  if (!row) throw new NotFound('application', `application ${clientId} not found`);
  return row;
}

export async function findApplicationByClientId(
  db: Kysely<Database>,
  clientId: string,
): Promise<OAuthApplication | undefined> {
  return db.selectFrom('oauth_application').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

export async function updateApplication(
  db: Kysely<Database>,
  application: OAuthApplication,
  details: ApplicationDetails,
): Promise<OAuthApplication> {
  return db
    .updateTable('oauth_application')
    .set(applicationColumns(details))
    .where('id', '=', application.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Deletes the application and every access token granted to it. */
export async function deleteApplication(db: Kysely<Database>, application: OAuthApplication): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('oauth_access_token').where('application_id', '=', application.id).execute();
    await trx.deleteFrom('oauth_application').where('id', '=', application.id).execute();
  });
}

export async function resetClientSecret(
  db: Kysely<Database>,
  secrets: SecretBox,
  application: OAuthApplication,
): Promise<OAuthApplication> {
  return db
    .updateTable('oauth_application')
    .set({ client_secret_encrypted: secrets.seal(randomText(CLIENT_SECRET_LENGTH)) })
    .where('id', '=', application.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The client secret, as shown to the organization's admins; null for applications registered without one. */
export function revealClientSecret(secrets: SecretBox, application: OAuthApplication): string | null {
  if (application.client_secret_encrypted === null) return null;
  const secret = secrets.open(application.client_secret_encrypted);
  if (secret === undefined) {
    throw new Error(`the client secret of application ${application.uuid} cannot be decrypted with this DATABASE_SECRET_KEY`);
  }
  return secret;
}

// ---- access tokens a user has granted ----------------------------------------------------------

/** An access token the user granted, with the application it was granted to and that application's owner. */
export interface UserAuthorization {
  uuid: string;
  scope: string;
  created_at: number;
  expires_at: number | null;
  client_id: string;
  application_name: string;
  application_description: string;
  application_uri: string;
  application_avatar_email: string | null;
  owner_name: string;
  owner_kind: NamespaceKind;
  owner_email: string | null;
}

function userAuthorizationQuery(db: Kysely<Database>, userId: number) {
  return db
    .selectFrom('oauth_access_token as t')
    .innerJoin('oauth_application as a', 'a.id', 't.application_id')
    .innerJoin('namespace as o', 'o.id', 'a.namespace_id')
    .where('t.namespace_id', '=', userId)
    .select([
      't.uuid as uuid',
      't.scope as scope',
      't.created_at as created_at',
      't.expires_at as expires_at',
      'a.client_id as client_id',
      'a.name as application_name',
      'a.description as application_description',
      'a.application_uri as application_uri',
      'a.avatar_email as application_avatar_email',
      'o.name as owner_name',
      'o.kind as owner_kind',
      'o.email as owner_email',
    ]);
}

export async function listUserAuthorizations(db: Kysely<Database>, userId: number): Promise<UserAuthorization[]> {
  return userAuthorizationQuery(db, userId).orderBy('t.created_at').orderBy('t.id').execute();
}

/** One token the user granted; NotFound for tokens of other users. */
export async function getUserAuthorization(db: Kysely<Database>, userId: number, uuid: string): Promise<UserAuthorization> {
  const row = await userAuthorizationQuery(db, userId).where('t.uuid', '=', uuid).executeTakeFirst();
  if (!row) throw new NotFound('token', `authorization ${uuid} not found`);
  return row;
}

/** Revokes a token the user granted; NotFound for tokens of other users. */
export async function revokeUserAuthorization(db: Kysely<Database>, userId: number, uuid: string): Promise<void> {
  const result = await db
    .deleteFrom('oauth_access_token')
    .where('namespace_id', '=', userId)
    .where('uuid', '=', uuid)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw new NotFound('token', `authorization ${uuid} not found`);
}
