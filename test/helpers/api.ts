import { expect } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/authenticate.js';
import { createAccessToken, createOAuthApplication } from '../../src/model/oauth-tokens.js';
import { createSession } from '../../src/model/sessions.js';
import { namespaceId } from './fixtures.js';
import type { TestRegistry } from './registry.js';

/**
 * A client for Quay's /api/v1 on a test registry. It authenticates as a real browser session
 * (cookie + CSRF header, as the web UI does) or with an OAuth bearer token, or not at all.
 */

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or the raw text when the body is not JSON (undefined when empty). */
  // biome-ignore lint/suspicious/noExplicitAny: tests read response fields directly and assert on them
  body: any;
  describe(): string;
}

export type ApiAuth =
  | { session: { cookie: string; csrf: string } }
  | { bearer: string }
  | null;

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly auth: ApiAuth = null,
  ) {}

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const allHeaders: Record<string, string> = { ...headers };
    if (this.auth && 'bearer' in this.auth) allHeaders['authorization'] = `Bearer ${this.auth.bearer}`;
    if (this.auth && 'session' in this.auth) {
      allHeaders['cookie'] = `${SESSION_COOKIE}=${this.auth.session.cookie}`;
      allHeaders['x-csrf-token'] ??= this.auth.session.csrf;
    }
    let payload: string | undefined;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      allHeaders['content-type'] = 'application/json';
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers: allHeaders, body: payload, redirect: 'manual' });
    const text = await res.text();
    let parsed: unknown;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return {
      status: res.status,
      headers: res.headers,
      body: parsed,
      describe: () => `${method} ${path} -> ${res.status} ${text.slice(0, 500)}`,
    };
  }

  get(path: string) {
    return this.request('GET', path);
  }
  post(path: string, body?: unknown) {
    return this.request('POST', path, body ?? {});
  }
  put(path: string, body?: unknown) {
    return this.request('PUT', path, body ?? {});
  }
  delete(path: string) {
    return this.request('DELETE', path);
  }
}

/** An API client signed in as `username` through a real session row (as after POST /api/v1/signin). */
export async function sessionClient(registry: TestRegistry, username: string): Promise<ApiClient> {
  const { session, cookieValue } = await createSession(
    registry.ctx.db,
    await namespaceId(registry, username),
    registry.ctx.config.PERMANENT_SESSION_LIFETIME,
  );
  return new ApiClient(registry.url, { session: { cookie: cookieValue, csrf: session.csrf_token } });
}

/** An OAuth access token of `username` with exactly `scopes`. */
export async function oauthToken(registry: TestRegistry, username: string, scopes: readonly string[]): Promise<string> {
  const id = await namespaceId(registry, username);
  const application = await createOAuthApplication(registry.ctx.db, { namespaceId: id, name: `test-${scopes.join('-')}` });
  const { token } = await createAccessToken(registry.ctx.db, {
    applicationId: application.id,
    userId: id,
    scopes,
    expiresInS: 3600,
  });
  return token;
}

/** An API client using an OAuth bearer token of `username` with `scopes`. */
export async function tokenClient(registry: TestRegistry, username: string, scopes: readonly string[]): Promise<ApiClient> {
  return new ApiClient(registry.url, { bearer: await oauthToken(registry, username, scopes) });
}

export function anonymousClient(registry: TestRegistry): ApiClient {
  return new ApiClient(registry.url, null);
}

// ---- assertions -------------------------------------------------------------------------------

export function expectStatus(res: ApiResponse, status = 200): void {
  expect(res.status, res.describe()).toBe(status);
}

/**
 * A Quay API error document answered with `status`: the status again in the body, a message and an
 * error type, and no stack trace. With `message`, the error_message must match it.
 */
export function expectApiError(res: ApiResponse, status: number, message?: RegExp): void {
  expectStatus(res, status);
  expect(res.body, res.describe()).toMatchObject({
    status,
    error_message: expect.any(String),
    detail: expect.any(String),
    error_type: expect.any(String),
  });
  expect(JSON.stringify(res.body)).not.toMatch(/\.ts:\d+|node:internal/);
  if (message) expect(res.body.error_message, res.describe()).toMatch(message);
}
