import type { Pool } from 'undici';
import { RequestError } from './client.js';
import { BENCH_PASSWORD, BENCH_USER } from './servers.js';

/** A signed-in /api/v1 session of the bench user: its cookie, and the CSRF token writes must carry. */
export interface ApiSession {
  cookie: string;
  csrfToken: string | undefined;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export async function signIn(pool: Pool): Promise<ApiSession> {
  const res = await pool.request({
    method: 'POST',
    path: '/api/v1/signin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: BENCH_USER, password: BENCH_PASSWORD }),
  });
  await res.body.text();
  const setCookie = res.headers['set-cookie'];
  const cookie = (Array.isArray(setCookie) ? setCookie : [setCookie ?? ''])[0]!.split(';')[0]!;
  if (res.statusCode !== 200 || !cookie.includes('=')) throw new RequestError(`sign-in failed: ${res.statusCode}`);
  return { cookie, csrfToken: headerText(res.headers['x-next-csrf-token']) };
}

/** One API call as the session; throws unless the status is one of `expected`. Returns the parsed body. */
export async function apiCall(
  pool: Pool,
  session: ApiSession,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  expected: readonly number[] = [200, 201, 204],
): Promise<unknown> {
  const headers: Record<string, string> = { cookie: session.cookie };
  if (session.csrfToken) headers['x-csrf-token'] = session.csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await pool.request({ method, path, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
  const text = await res.body.text();
  const next = headerText(res.headers['x-next-csrf-token']);
  if (next) session.csrfToken = next;
  if (!expected.includes(res.statusCode)) throw new RequestError(`${method} ${path} -> ${res.statusCode} ${text.slice(0, 300)}`);
  if (text === '') return undefined;
  // Some of Quay's writes answer with a bare word ("Created", "Deleted") rather than JSON.
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
