import { Type as T } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { authorizeOwnAccount } from '../auth/authorize.js';
import { authenticateUserPassword } from '../auth/credentials.js';
import type { AppContext } from '../context.js';
import { DomainError, FreshLoginRequired, TooManyRequests, Unauthorized } from '../errors.js';
import { nowMs } from '../model/clock.js';
import { federatedIdentOf, LDAP_SERVICE } from '../model/federated-logins.js';
import { createSession, deleteSession, refreshSessionLogin, type UserSession } from '../model/sessions.js';
import { findUser, findUserById, parseDurationSeconds } from '../model/users.js';
import { loggedUserAgent } from '../model/user-agent.js';
import { countedAuthentication } from '../metrics/registry.js';
import { NEXT_CSRF_HEADER } from './authenticate.js';
import type { ApiCall, ApiRouter } from './router.js';
import { clearSessionCookie, setSessionCookie } from './session-cookie.js';
import { logApiAction } from './usage-log.js';

/**
 * Signing in and out of the web UI: POST /api/v1/signin, /signin/verify and /signout, and
 * GET /csrf_token. A session lives in the database; the browser holds it in an HttpOnly cookie
 * and sends its CSRF token in a header on every write.
 */

const INVALID_CREDENTIALS = 'invalid username or password';
const FRESH_LOGIN_MESSAGE = 'this change needs a recent sign-in: confirm your password (POST /api/v1/signin/verify)';

/**
 * Starts a browser session for `userId`: stores it, sets the cookie and tells the client its CSRF
 * token. A session the caller already had is ended, so signing in twice leaves one session.
 */
export async function startSession(call: ApiCall<unknown, unknown>, userId: number): Promise<UserSession> {
  const { ctx, reply, actor } = call;
  if (actor.session) await deleteSession(ctx.db, actor.session.id);
  const { session, cookieValue } = await createSession(ctx.db, userId, ctx.config.PERMANENT_SESSION_LIFETIME);
  setSessionCookie(ctx, reply, cookieValue);
  reply.header(NEXT_CSRF_HEADER, session.csrf_token);
  return session;
}

/** Ends the caller's session (if any) and clears the cookie. */
export async function endSession(call: ApiCall<unknown, unknown>): Promise<void> {
  if (call.actor.session) await deleteSession(call.ctx.db, call.actor.session.id);
  clearSessionCookie(call.ctx, call.reply);
}

/** A refused password check, answered as Quay's sign-in answers it: 403 with invalidCredentials. */
function refuseCredentials(reply: FastifyReply, message: string): void {
  reply.code(403).send({ needsEmailVerification: false, invalidCredentials: true, message });
}

/**
 * Checks a username and password with the configured backend; undefined (and a 403 sent) when
 * wrong, after `onRefusal` has seen the backend's reason.
 */
async function checkPassword(
  call: ApiCall<unknown, unknown>,
  username: string,
  password: string,
  onRefusal?: (message: string) => Promise<void>,
) {
  try {
    return await countedAuthentication(call.ctx, 'credentials', () => authenticateUserPassword(call.ctx, username, password));
  } catch (err) {
    // Back-off after repeated failures is answered as what it is: 429, try again later.
    if (!(err instanceof DomainError) || err instanceof TooManyRequests) throw err;
    // The backends word their refusals for the person signing in: an unknown account and a wrong
    // password read the same, and only someone who knew the password learns that it is disabled.
    await onRefusal?.(err.message);
    refuseCredentials(call.reply, err.message);
    return undefined;
  }
}

function userAgent(call: ApiCall<unknown, unknown>): string | null {
  return loggedUserAgent(call.request.headers['user-agent']);
}

/** Quay's login_failure entry (ACTION_LOG_AUDIT_LOGIN_FAILURES), in the named user's logs when there is one. */
async function logLoginFailure(call: ApiCall<unknown, unknown>, username: string, message: string): Promise<void> {
  if (!call.ctx.config.ACTION_LOG_AUDIT_LOGIN_FAILURES) return;
  const possibleUser = await findUser(call.ctx.db, username);
  await logApiAction(call, {
    kind: 'login_failure',
    namespaceId: possibleUser?.id ?? null,
    performerId: possibleUser?.id ?? null,
    metadata: { type: 'quayauth', kind: 'user', useragent: userAgent(call), username, message },
  });
}

/**
 * Quay's require_fresh_login: a session must have proved the password within FRESH_LOGIN_TIMEOUT
 * before sensitive account changes. OAuth tokens skip the check (their scopes bound them), and so
 * do accounts with no password to prove. Throws FreshLoginRequired (401 fresh_login_required).
 */
export async function requireFreshLogin(call: ApiCall<unknown, unknown>): Promise<void> {
  const { ctx, actor } = call;
  const session = actor.session;
  if (!session) return;
  const windowMs = parseDurationSeconds(ctx.config.FRESH_LOGIN_TIMEOUT) * 1000;
  if (nowMs() - session.login_at <= windowMs) return;
  const user = await findUserById(ctx.db, session.user_id);
  if (user && user.password_hash === null && !ctx.directory) return;
  throw new FreshLoginRequired(FRESH_LOGIN_MESSAGE);
}

/**
 * The name to check a signed-in user's password under: their directory identifier when the
 * account is linked to one (a local name like `alice-1` is not known to LDAP), else their name.
 */
async function signInName(ctx: AppContext, user: { id: number; name: string }): Promise<string> {
  if (!ctx.directory) return user.name;
  return (await federatedIdentOf(ctx.db, LDAP_SERVICE, user.id)) ?? user.name;
}

const Credentials = T.Object({
  username: T.String({ minLength: 1, maxLength: 255 }),
  password: T.String({ minLength: 1, maxLength: 1024 }),
  invite_code: T.Optional(T.String({ maxLength: 255 })),
});

const PasswordOnly = T.Object({ password: T.String({ minLength: 1, maxLength: 1024 }) });

export function registerSessionRoutes(router: ApiRouter): void {
  router.add({
    method: 'POST',
    path: '/api/v1/signin',
    invalidSessionIsAnonymous: true,
    summary: 'Sign in with a username and password; sets the session cookie.',
    tag: 'user',
    body: Credentials,
    allowWhenReadOnly: true,
    internal: true,
    async handler(call) {
      const { username, password } = call.body;
      const identity = await checkPassword(call, username, password, (message) => logLoginFailure(call, username, message));
      if (identity?.principal.kind !== 'user') return undefined;
      await startSession(call, identity.principal.id);
      if (call.ctx.config.ACTION_LOG_AUDIT_LOGINS) {
        const userId = identity.principal.id;
        await logApiAction(call, {
          kind: 'login_success',
          namespaceId: userId,
          performerId: userId,
          metadata: { type: 'quayauth', useragent: userAgent(call) },
        });
      }
      return { success: true };
    },
  });

  router.add({
    method: 'POST',
    path: '/api/v1/signin/verify',
    summary: 'Prove the password of the signed-in user again (fresh login).',
    tag: 'user',
    body: PasswordOnly,
    allowWhenReadOnly: true,
    internal: true,
    async handler(call) {
      const me = authorizeOwnAccount(call.actor, 'user:admin');
      const identity = await checkPassword(call, await signInName(call.ctx, me), call.body.password);
      if (!identity) return undefined;
      if (identity.principal.kind !== 'user' || identity.principal.id !== me.id) {
        refuseCredentials(call.reply, INVALID_CREDENTIALS);
        return undefined;
      }
      if (call.actor.session) await refreshSessionLogin(call.ctx.db, call.actor.session.id);
      return { success: true };
    },
  });

  router.add({
    method: 'POST',
    path: '/api/v1/signout',
    invalidSessionIsAnonymous: true,
    summary: 'Sign out: ends this session and clears its cookie.',
    tag: 'user',
    allowWhenReadOnly: true,
    internal: true,
    async handler(call) {
      const { principal } = call.actor;
      const signedIn = call.actor.session !== undefined && principal.kind === 'user';
      await endSession(call);
      // Quay's logout_success, in the user's own logs.
      if (signedIn) await logApiAction(call, { kind: 'logout_success', namespaceId: principal.id });
      return { success: true };
    },
  });

  router.add({
    method: 'GET',
    path: '/csrf_token',
    summary: "The CSRF token of the caller's session, to send in X-CSRF-Token on writes.",
    tag: 'session',
    internal: true,
    async handler(call) {
      const session = call.actor.session;
      if (!session) throw new Unauthorized('sign in first: there is no session');
      return { csrf_token: session.csrf_token };
    },
  });
}
