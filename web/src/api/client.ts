/**
 * The one way the UI talks to Quayside: fetch against /api/v1 with the session cookie, the CSRF
 * token on writes, and Quay's error JSON turned into an ApiError whose message is fit to show.
 * A 401 on any call means the session is gone: listeners (the app shell) send the user to sign-in.
 */

const CSRF_REQUEST_HEADER = 'X-CSRF-Token';
const CSRF_RESPONSE_HEADER = 'X-Next-CSRF-Token';

let csrfToken: string | undefined;
const sessionLostListeners = new Set<() => void>();

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** An error's message, fit to show in a notice (ApiError carries the server's own words). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function onSessionLost(listener: () => void): () => void {
  sessionLostListeners.add(listener);
  return () => sessionLostListeners.delete(listener);
}

export function forgetCsrfToken(): void {
  csrfToken = undefined;
}

function errorMessage(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const fields = body as Record<string, unknown>;
    for (const key of ['detail', 'error_message', 'message', 'error_description']) {
      const value = fields[key];
      if (typeof value === 'string' && value.length > 0) return value;
    }
  }
  return `HTTP ${status}`;
}

async function ensureCsrfToken(): Promise<string | undefined> {
  if (csrfToken) return csrfToken;
  const response = await fetch('/csrf_token', { credentials: 'same-origin' });
  if (!response.ok) return undefined;
  const body = (await response.json()) as { csrf_token?: string };
  csrfToken = body.csrf_token;
  return csrfToken;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  query?: Query;
  /** Do not report a 401 as a lost session (the sign-in form and the first "who am I"). */
  quietUnauthorized?: boolean;
  /** Sent before any session exists (signing in, creating an account): no CSRF token to send. */
  beforeSession?: boolean;
}

export function withQuery(path: string, query: Query | undefined): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

export async function api<T = unknown>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && !options.beforeSession) {
    const token = await ensureCsrfToken();
    if (token) headers[CSRF_REQUEST_HEADER] = token;
  }
  const response = await fetch(withQuery(path, options.query), {
    method,
    headers,
    credentials: 'same-origin',
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const nextToken = response.headers.get(CSRF_RESPONSE_HEADER);
  if (nextToken) csrfToken = nextToken;
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  if (!response.ok) {
    if (response.status === 401 && !options.quietUnauthorized && !options.beforeSession) {
      forgetCsrfToken();
      for (const listener of sessionLostListeners) listener();
    }
    throw new ApiError(response.status, errorMessage(response.status, body), body);
  }
  return body as T;
}

/** The path of a repository in API URLs: namespace and (possibly nested) name, each segment escaped. */
export function repoPath(namespace: string, name: string): string {
  return [namespace, ...name.split('/')].map(encodeURIComponent).join('/');
}
