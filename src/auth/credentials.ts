import type { Kysely } from 'kysely';
import type { QuaysideConfig } from '../config/load.js';
import type { Database } from '../db/tables.js';
import { Unauthorized } from '../errors.js';
import type { Namespace } from '../model/namespaces.js';
import { verifyAccessToken } from '../model/oauth-tokens.js';
import { findUser, isSuperuser } from '../model/users.js';
import { VerifiedPasswordCache } from './password-cache.js';
import { spendPasswordCheckTime, verifyPassword } from './passwords.js';
import type { Principal } from './principal.js';

export interface CredentialDeps {
  db: Kysely<Database>;
  config: QuaysideConfig;
}

export interface BasicCredentials {
  username: string;
  password: string;
}

/** The username that marks the password as an OAuth access token (`docker login -u '$oauthtoken'`). */
export const OAUTH_TOKEN_USERNAME = '$oauthtoken';

const INVALID_LOGIN = 'invalid username or password';

/** Parses an `Authorization: Basic ...` header value; undefined when it is anything else. */
export function parseBasicAuthorization(headerValue: string | undefined): BasicCredentials | undefined {
  if (!headerValue) return undefined;
  const match = /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(headerValue.trim());
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  // Only the first colon separates: passwords and tokens may contain colons, usernames may not.
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function userPrincipal(config: QuaysideConfig, user: Namespace): Principal {
  return { kind: 'user', id: user.id, name: user.name, superuser: isSuperuser(config, user) };
}

const verifiedPasswords = new VerifiedPasswordCache();

async function passwordMatches(user: Namespace, password: string): Promise<boolean> {
  const hash = user.password_hash;
  if (hash && verifiedPasswords.has(user.id, hash, password)) return true;
  const matches = await verifyPassword(password, hash);
  if (matches && hash) verifiedPasswords.remember(user.id, hash, password);
  return matches;
}

/** A local account whose bcrypt password hash matches. */
async function authenticateDatabaseUser(deps: CredentialDeps, username: string, password: string): Promise<Principal> {
  const user = await findUser(deps.db, username);
  if (!user) {
    await spendPasswordCheckTime(password);
    throw new Unauthorized(INVALID_LOGIN);
  }
  if (!(await passwordMatches(user, password))) throw new Unauthorized(INVALID_LOGIN);
  // Said only to someone who just proved they know the password.
  if (user.enabled !== 1) throw new Unauthorized('this account has been disabled');
  return userPrincipal(deps.config, user);
}

/** `$oauthtoken` + an OAuth access token: acts as the user who authorized the token. */
async function authenticateOAuthToken(deps: CredentialDeps, token: string): Promise<Principal> {
  const verified = await verifyAccessToken(deps.db, token);
  if (verified?.user.kind !== 'user' || verified.user.enabled !== 1) throw new Unauthorized(INVALID_LOGIN);
  return userPrincipal(deps.config, verified.user);
}

type CredentialKind = 'oauth_token' | 'user';

// Robots (`owner+name`), `$app` tokens and LDAP users each become one more kind here.
function credentialKind(username: string): CredentialKind {
  if (username === OAUTH_TOKEN_USERNAME) return 'oauth_token';
  return 'user';
}

/**
 * Checks a username/secret pair from basic auth. Throws Unauthorized with the same message whether
 * the account is unknown or the secret is wrong.
 */
export async function authenticateBasic(deps: CredentialDeps, username: string, password: string): Promise<Principal> {
  if (username.length === 0 || password.length === 0) throw new Unauthorized(INVALID_LOGIN);
  switch (credentialKind(username)) {
    case 'oauth_token':
      return authenticateOAuthToken(deps, password);
    case 'user':
      return authenticateDatabaseUser(deps, username, password);
  }
}
