import type { Kysely } from 'kysely';
import type { QuaysideConfig } from '../config/load.js';
import type { Database } from '../db/tables.js';
import { TooManyRequests, Unauthorized } from '../errors.js';
import { verifyAppToken } from '../model/app-tokens.js';
import { clearFailedLogins, loginWaitMs, recordFailedLogin } from '../model/login-backoff.js';
import type { Namespace } from '../model/namespaces.js';
import { verifyAccessToken } from '../model/oauth-tokens.js';
import { parseRobotName, verifyRobotToken } from '../model/robots.js';
import { findUser, isSuperuser } from '../model/users.js';
import type { UserDirectory } from './directory.js';
import { VerifiedPasswordCache } from './password-cache.js';
import { spendPasswordCheckTime, verifyPassword } from './passwords.js';
import { type CredentialKind, type Identity, type Principal, robotPrincipal } from './principal.js';
import type { SecretBox } from './secret-box.js';

export interface CredentialDeps {
  db: Kysely<Database>;
  config: QuaysideConfig;
  secrets: SecretBox;
  /** Present when AUTHENTICATION_TYPE names an external directory. */
  directory?: UserDirectory | undefined;
}

export interface BasicCredentials {
  username: string;
  password: string;
}

/** An identity proven by credentials, and which kind of credential proved it. */
export interface AuthenticatedIdentity extends Identity {
  credential: CredentialKind;
}

/** The username that marks the password as an OAuth access token (`docker login -u '$oauthtoken'`). */
export const OAUTH_TOKEN_USERNAME = '$oauthtoken';
/** The username that marks the password as an application-specific token (`docker login -u '$app'`). */
export const APP_TOKEN_USERNAME = '$app';

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

export function userPrincipal(config: QuaysideConfig, user: Namespace): Principal {
  return { kind: 'user', id: user.id, name: user.name, superuser: isSuperuser(config, user) };
}

/**
 * The principal for a user account, asking the external directory too whether it is a superuser
 * (LDAP_SUPERUSER_FILTER), so that every credential sees the same rights.
 */
export async function principalForUser(deps: Pick<CredentialDeps, 'config' | 'directory'>, user: Namespace): Promise<Principal> {
  const principal = userPrincipal(deps.config, user);
  if (principal.kind === 'user' && !principal.superuser && deps.directory?.isSuperuser) {
    principal.superuser = await deps.directory.isSuperuser(user);
  }
  return principal;
}

const verifiedPasswords = new VerifiedPasswordCache();

async function passwordMatches(user: Namespace, password: string): Promise<boolean> {
  const hash = user.password_hash;
  if (hash && verifiedPasswords.has(user.id, hash, password)) return true;
  const matches = await verifyPassword(password, hash);
  if (matches && hash) verifiedPasswords.remember(user.id, hash, password);
  return matches;
}

/** Whether a user account is a superuser by any source: the account flag, SUPER_USERS, or the directory. */
export async function isSuperuserAccount(deps: Pick<CredentialDeps, 'config' | 'directory'>, user: Namespace): Promise<boolean> {
  const principal = await principalForUser(deps, user);
  return principal.kind === 'user' && principal.superuser;
}

/** A local account whose bcrypt password hash matches. */
export async function authenticateDatabaseUser(deps: CredentialDeps, username: string, password: string): Promise<Namespace> {
  const user = await findUser(deps.db, username);
  if (!user) {
    await spendPasswordCheckTime(password);
    throw new Unauthorized(INVALID_LOGIN);
  }
  const waitMs = loginWaitMs(user);
  if (waitMs > 0) {
    throw new TooManyRequests(`too many failed sign-in attempts: try again in ${Math.ceil(waitMs / 1000)} s`);
  }
  if (!(await passwordMatches(user, password))) {
    await recordFailedLogin(deps.db, user.id);
    throw new Unauthorized(INVALID_LOGIN);
  }
  await clearFailedLogins(deps.db, user);
  // Said only to someone who just proved they know the password.
  if (user.enabled !== 1) throw new Unauthorized('this account has been disabled');
  return user;
}

/**
 * A user signing in with a password, checked by the configured backend: the database, or the
 * external directory (LDAP), which links or creates the local account.
 */
export async function authenticateUserPassword(
  deps: CredentialDeps,
  username: string,
  password: string,
): Promise<AuthenticatedIdentity> {
  if (deps.directory) {
    const user = await deps.directory.verifyAndLink(username, password);
    if (user.enabled !== 1) throw new Unauthorized('this account has been disabled');
    return { principal: await principalForUser(deps, user), credential: 'ldap' };
  }
  const user = await authenticateDatabaseUser(deps, username, password);
  return { principal: userPrincipal(deps.config, user), credential: 'basic' };
}

/** `$oauthtoken` + an OAuth access token: acts as the user who authorized it, within its scopes. */
export async function authenticateOAuthToken(deps: CredentialDeps, token: string): Promise<AuthenticatedIdentity> {
  const verified = await verifyAccessToken(deps.db, token);
  if (verified?.user.kind !== 'user' || verified.user.enabled !== 1) throw new Unauthorized('invalid OAuth access token');
  return {
    principal: await principalForUser(deps, verified.user),
    scopes: new Set(verified.scopes),
    credential: 'oauth_token',
  };
}

/** `$app` + an application-specific token: acts as its user with the user's full rights. */
async function authenticateAppToken(deps: CredentialDeps, token: string): Promise<AuthenticatedIdentity> {
  if (!deps.config.FEATURE_APP_SPECIFIC_TOKENS) throw new Unauthorized('application-specific tokens are disabled');
  const verified = await verifyAppToken(deps.db, deps.secrets, token);
  if (!verified) throw new Unauthorized('invalid application-specific token');
  return { principal: await principalForUser(deps, verified.user), credential: 'app_token' };
}

/** `owner+short` + the robot's token. */
async function authenticateRobot(deps: CredentialDeps, name: string, token: string): Promise<AuthenticatedIdentity> {
  const robot = await verifyRobotToken(deps.db, deps.secrets, name, token);
  if (!robot) throw new Unauthorized('invalid robot account name or token');
  return { principal: robotPrincipal(robot), credential: 'robot' };
}

/**
 * Checks a username/secret pair from basic auth: `$oauthtoken`, `$app`, a robot (`owner+short`)
 * or a user. Throws Unauthorized, with the same message whether the account is unknown or the
 * secret is wrong.
 */
export async function authenticateBasic(
  deps: CredentialDeps,
  username: string,
  password: string,
): Promise<AuthenticatedIdentity> {
  if (username.length === 0 || password.length === 0) throw new Unauthorized(INVALID_LOGIN);
  if (username === OAUTH_TOKEN_USERNAME) return authenticateOAuthToken(deps, password);
  if (username === APP_TOKEN_USERNAME) return authenticateAppToken(deps, password);
  if (parseRobotName(username)) return authenticateRobot(deps, username, password);
  return authenticateUserPassword(deps, username, password);
}
