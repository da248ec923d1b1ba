import { timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { authenticateOAuthToken, principalForUser } from '../auth/credentials.js';
import { ANONYMOUS, type Actor } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { Denied, Unauthorized } from '../errors.js';
import { findSession, type UserSession } from '../model/sessions.js';
import { countAuthentication, countedAuthentication } from '../metrics/registry.js';

/** The session cookie of the web UI and the API. */
export const SESSION_COOKIE = 'quayside_session';
/** The header a cookie-authenticated write must carry, holding the session's CSRF token. */
const CSRF_HEADER = 'x-csrf-token';
/** The header every cookie-authenticated response carries, telling the UI the CSRF token to send. */
export const NEXT_CSRF_HEADER = 'X-Next-CSRF-Token';

export interface ApiActor extends Actor {
  /** Present when the caller authenticated with the session cookie. */
  session?: UserSession;
  /** The cookie value, when this request extended the session: the browser's copy must be extended too. */
  renewedSessionCookie?: string;
}

/** Reads one cookie from a Cookie header; undefined when absent. */
function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameToken(sent: string, expected: string): boolean {
  const a = Buffer.from(sent, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

async function bearerActor(ctx: AppContext, token: string): Promise<ApiActor> {
  return countedAuthentication(ctx, 'oauth', () => authenticateOAuthToken(ctx, token));
}

async function sessionActor(
  ctx: AppContext,
  request: FastifyRequest,
  cookie: string,
  options: ApiAuthenticationOptions,
): Promise<ApiActor> {
  const found = await findSession(ctx.db, cookie, ctx.config.PERMANENT_SESSION_LIFETIME);
  countAuthentication(ctx.metrics, 'cookie', found !== undefined);
  if (!found) {
    if (options.invalidSessionIsAnonymous) return { principal: ANONYMOUS, credential: 'anonymous' };
    throw new Unauthorized('your session has expired: sign in again');
  }
  if (!SAFE_METHODS.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !sameToken(sent, found.session.csrf_token)) {
      throw new Denied('CSRF token was invalid or missing.');
    }
  }
  const actor: ApiActor = { principal: await principalForUser(ctx, found.user), credential: 'session', session: found.session };
  if (found.renewed) actor.renewedSessionCookie = cookie;
  return actor;
}

interface ApiAuthenticationOptions {
  /**
   * Treat an expired or unknown session cookie as no cookie: for signing in, signing out and
   * creating an account, which a browser left with a dead HttpOnly cookie must still reach.
   */
  invalidSessionIsAnonymous?: boolean;
}

/**
 * Who is calling the API: an OAuth access token (`Authorization: Bearer`), the session cookie
 * (writes need the CSRF header), or nobody. Registry credentials (basic auth, robot tokens, app
 * tokens) are not accepted here, as in Quay.
 */
export async function authenticateApiRequest(
  ctx: AppContext,
  request: FastifyRequest,
  options: ApiAuthenticationOptions = {},
): Promise<ApiActor> {
  const header = request.headers.authorization;
  if (header) {
    const [scheme, value] = header.split(' ', 2);
    if (scheme?.toLowerCase() === 'bearer' && value?.trim()) return bearerActor(ctx, value.trim());
    throw new Unauthorized('the API accepts OAuth access tokens (Authorization: Bearer) or a signed-in session');
  }
  const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
  if (cookie) return sessionActor(ctx, request, cookie, options);
  return { principal: ANONYMOUS, credential: 'anonymous' };
}
