import type { FastifyReply } from 'fastify';
import type { AppContext } from '../context.js';
import { NEXT_CSRF_HEADER, SESSION_COOKIE } from './authenticate.js';

/** The session cookie: HttpOnly, SameSite=Lax, Secure behind https, living as long as the session. */

function cookieAttributes(ctx: Pick<AppContext, 'config'>, maxAgeS: number): string {
  const secure = ctx.config.PREFERRED_URL_SCHEME === 'https' ? '; Secure' : '';
  return `Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeS}${secure}`;
}

/** Sets (or, when the session was extended, sets again) the cookie for a full session lifetime. */
export function setSessionCookie(ctx: Pick<AppContext, 'config'>, reply: FastifyReply, cookieValue: string): void {
  const lifetime = ctx.config.PERMANENT_SESSION_LIFETIME;
  reply.header('set-cookie', `${SESSION_COOKIE}=${cookieValue}; ${cookieAttributes(ctx, lifetime)}`);
}

export function clearSessionCookie(ctx: Pick<AppContext, 'config'>, reply: FastifyReply): void {
  reply.header('set-cookie', `${SESSION_COOKIE}=; ${cookieAttributes(ctx, 0)}`);
  reply.removeHeader(NEXT_CSRF_HEADER);
}
