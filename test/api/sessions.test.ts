import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestRegistry } from '../helpers/registry.js';
import { type ApiResponse, anonymousClient, ApiClient, sessionClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { startTestRegistry } from '../helpers/registry.js';

/** Browser sessions: POST /api/v1/signin, /signin/verify, /signout, GET /csrf_token, and CSRF protection. */

interface SignedIn {
  res: ApiResponse;
  client: ApiClient;
  cookie: string;
  csrf: string;
}

async function signIn(registry: TestRegistry, username: string, password: string): Promise<SignedIn> {
  const res = await anonymousClient(registry).post('/api/v1/signin', { username, password });
  expect(res.status, res.describe()).toBe(200);
  const cookie = /quayside_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  const csrf = res.headers.get('x-next-csrf-token');
  if (!cookie || !csrf) throw new Error(`no session in ${res.describe()}`);
  return { res, client: new ApiClient(registry.url, { session: { cookie, csrf } }), cookie, csrf };
}

function cookieOnly(registry: TestRegistry, cookie: string): (method: string, path: string, body?: unknown) => Promise<Response> {
  return (method, path, body) =>
    fetch(`${registry.url}${path}`, {
      method,
      headers: { cookie: `quayside_session=${cookie}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
}

async function countedAttempts(registry: TestRegistry, success: 'True' | 'False'): Promise<number> {
  const metric = await registry.ctx.metrics.authenticationAttempts.get();
  const value = metric.values.find((v) => v.labels['auth_kind'] === 'credentials' && v.labels['success'] === success);
  return value?.value ?? 0;
}

async function loginAt(registry: TestRegistry, cookie: string): Promise<number> {
  const row = await registry.ctx.db
    .selectFrom('user_session')
    .select('login_at')
    .where('token_name', '=', cookie.split('.')[0]!)
    .executeTakeFirstOrThrow();
  return row.login_at;
}

describe.each(testDialects())('sessions API (%s)', (dialect) => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect, overrides: { PERMANENT_SESSION_LIFETIME: 7200, ACTION_LOG_AUDIT_LOGIN_FAILURES: true } });
    await registry.createUser('alice', 'alice-password', { email: 'alice@example.com' });
    await registry.createUser('bob', 'bob-password');
  });
  afterAll(async () => {
    await registry?.close();
  });

  describe('POST /api/v1/signin', () => {
    it('sets an HttpOnly session cookie and returns the CSRF token; the cookie then works', async () => {
      const before = await countedAttempts(registry, 'True');
      const { res, client } = await signIn(registry, 'alice', 'alice-password');
      expect(res.body).toEqual({ success: true });
      const setCookie = res.headers.get('set-cookie') ?? '';
      expect(setCookie).toMatch(/HttpOnly/);
      expect(setCookie).toMatch(/SameSite=Lax/);
      expect(setCookie).toMatch(/Path=\//);
      expect(setCookie).toMatch(/Max-Age=7200/);
      expect(setCookie).not.toMatch(/Secure/);
      expect(JSON.stringify(res.body)).not.toContain('alice-password');
      expect(await countedAttempts(registry, 'True')).toBe(before + 1);

      const me = await client.get('/api/v1/user/');
      expect(me.status, me.describe()).toBe(200);
      expect(me.body.username).toBe('alice');
    });

    it('refuses a wrong password and an unknown user alike with 403, setting no cookie', async () => {
      const before = await countedAttempts(registry, 'False');
      const anonymous = anonymousClient(registry);
      const wrong = await anonymous.post('/api/v1/signin', { username: 'alice', password: 'not-her-password' });
      const unknown = await anonymous.post('/api/v1/signin', { username: 'nobody', password: 'not-her-password' });
      for (const res of [wrong, unknown]) {
        expect(res.status, res.describe()).toBe(403);
        expect(res.body).toMatchObject({ invalidCredentials: true, needsEmailVerification: false });
        expect(res.headers.get('set-cookie')).toBeNull();
        expect(JSON.stringify(res.body)).not.toContain('not-her-password');
      }
      expect(wrong.body.message).toBe(unknown.body.message);
      expect(await countedAttempts(registry, 'False')).toBe(before + 2);
    });

    it("logs a failed sign-in (ACTION_LOG_AUDIT_LOGIN_FAILURES) with the user agent cut to 512 characters", async () => {
      await registry.createUser('dora', 'dora-password');
      const res = await fetch(`${registry.url}/api/v1/signin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': `agent/${'x'.repeat(1000)}` },
        body: JSON.stringify({ username: 'dora', password: 'not-her-password' }),
      });
      expect(res.status).toBe(403);
      const rows = await registry.ctx.db.selectFrom('log_entry').select('metadata').where('kind', '=', 'login_failure').execute();
      const entry = rows.map((row) => JSON.parse(row.metadata)).find((metadata) => metadata.username === 'dora');
      expect(entry).toMatchObject({ type: 'quayauth', kind: 'user', username: 'dora' });
      expect(entry.useragent).toBe(`agent/${'x'.repeat(506)}`);
    });

    it('answers malformed requests with 400', async () => {
      const anonymous = anonymousClient(registry);
      expect((await anonymous.post('/api/v1/signin', { username: 'alice' })).status).toBe(400);
      expect((await anonymous.post('/api/v1/signin', { username: 42, password: 'x' })).status).toBe(400);
      const res = await fetch(`${registry.url}/api/v1/signin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"username": ',
      });
      expect(res.status).toBe(400);
    });

    it('refuses a disabled account, whose existing sessions stop working too', async () => {
      await registry.createUser('carl', 'carl-password');
      const { client } = await signIn(registry, 'carl', 'carl-password');
      await registry.ctx.db.updateTable('namespace').set({ enabled: 0 }).where('name', '=', 'carl').execute();
      const res = await anonymousClient(registry).post('/api/v1/signin', { username: 'carl', password: 'carl-password' });
      expect(res.status, res.describe()).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect((await client.get('/api/v1/user/')).status).toBe(401);
    });
  });

  describe('CSRF protection', () => {
    it('refuses a cookie-authenticated write without the CSRF header or with a wrong one; reads need none', async () => {
      const { client, cookie } = await signIn(registry, 'bob', 'bob-password');
      const raw = cookieOnly(registry, cookie);
      const missing = await raw('PUT', '/api/v1/user/', { tag_expiration_s: 0 });
      expect(missing.status).toBe(403);
      const wrong = await client.request('PUT', '/api/v1/user/', { tag_expiration_s: 0 }, { 'x-csrf-token': 'forged' });
      expect(wrong.status, wrong.describe()).toBe(403);
      expect((await registry.ctx.db.selectFrom('namespace').select('removed_tag_expiration_s').where('name', '=', 'bob').executeTakeFirstOrThrow()).removed_tag_expiration_s).toBe(1_209_600);

      const read = await raw('GET', '/api/v1/user/');
      expect(read.status).toBe(200);
      expect(read.headers.get('x-next-csrf-token')).toBeTruthy();
      const write = await client.put('/api/v1/user/', { tag_expiration_s: 0 });
      expect(write.status, write.describe()).toBe(200);
    });

    it('GET /csrf_token returns the session token, and 401 without a session', async () => {
      const { client, csrf } = await signIn(registry, 'bob', 'bob-password');
      const res = await client.get('/csrf_token');
      expect(res.status, res.describe()).toBe(200);
      expect(res.body).toEqual({ csrf_token: csrf });
      expect((await anonymousClient(registry).get('/csrf_token')).status).toBe(401);
    });
  });

  describe('session lifetime', () => {
    it('extends an active session and sends the browser a cookie for the full lifetime again', async () => {
      const { client, cookie } = await signIn(registry, 'alice', 'alice-password');
      const name = cookie.split('.')[0]!;
      const soon = Date.now() + 60_000;
      await registry.ctx.db.updateTable('user_session').set({ expires_at: soon }).where('token_name', '=', name).execute();
      const res = await client.get('/api/v1/user/');
      expect(res.status, res.describe()).toBe(200);
      expect(res.headers.get('set-cookie')).toBe(`quayside_session=${cookie}; Path=/; HttpOnly; SameSite=Lax; Max-Age=7200`);
      const row = await registry.ctx.db.selectFrom('user_session').select('expires_at').where('token_name', '=', name).executeTakeFirstOrThrow();
      expect(row.expires_at).toBeGreaterThan(soon + 3_600_000);
      // Just extended: the next request neither writes the row nor resends the cookie.
      expect((await client.get('/api/v1/user/')).headers.get('set-cookie')).toBeNull();
    });

    it('refuses an expired session with 401, yet lets its browser sign in again', async () => {
      const { client, cookie } = await signIn(registry, 'alice', 'alice-password');
      await registry.ctx.db
        .updateTable('user_session')
        .set({ expires_at: Date.now() - 1 })
        .where('token_name', '=', cookie.split('.')[0]!)
        .execute();
      expect((await client.get('/api/v1/user/')).status).toBe(401);
      const again = await cookieOnly(registry, cookie)('POST', '/api/v1/signin', { username: 'alice', password: 'alice-password' });
      expect(again.status).toBe(200);
      expect(again.headers.get('set-cookie')).toMatch(/^quayside_session=[^;]+;/);
    });
  });

  describe('POST /api/v1/signout', () => {
    it('ends the session and clears the cookie; the old cookie no longer works', async () => {
      const { client } = await signIn(registry, 'alice', 'alice-password');
      const other = await signIn(registry, 'alice', 'alice-password');
      const res = await client.post('/api/v1/signout');
      expect(res.status, res.describe()).toBe(200);
      expect(res.body).toEqual({ success: true });
      expect(res.headers.get('set-cookie')).toMatch(/^quayside_session=;.*Max-Age=0/);
      expect((await client.get('/api/v1/user/')).status).toBe(401);
      expect((await other.client.get('/api/v1/user/')).status).toBe(200);
    });

    it('needs the CSRF token like any other write', async () => {
      const { client, cookie } = await signIn(registry, 'alice', 'alice-password');
      expect((await cookieOnly(registry, cookie)('POST', '/api/v1/signout', {})).status).toBe(403);
      expect((await client.get('/api/v1/user/')).status).toBe(200);
    });
  });

  describe('POST /api/v1/signin/verify', () => {
    it('refreshes the login time with the right password and refuses a wrong one', async () => {
      const { client, cookie } = await signIn(registry, 'alice', 'alice-password');
      await registry.ctx.db
        .updateTable('user_session')
        .set({ login_at: 1000 })
        .where('token_name', '=', cookie.split('.')[0]!)
        .execute();
      const wrong = await client.post('/api/v1/signin/verify', { password: 'bob-password' });
      expect(wrong.status, wrong.describe()).toBe(403);
      expect(wrong.body.invalidCredentials).toBe(true);
      expect(await loginAt(registry, cookie)).toBe(1000);

      const right = await client.post('/api/v1/signin/verify', { password: 'alice-password' });
      expect(right.status, right.describe()).toBe(200);
      expect(right.body).toEqual({ success: true });
      expect(await loginAt(registry, cookie)).toBeGreaterThan(Date.now() - 60_000);
    });

    it('is 401 for anonymous callers', async () => {
      expect((await anonymousClient(registry).post('/api/v1/signin/verify', { password: 'x' })).status).toBe(401);
    });
  });

  describe('sessions made by the test helper', () => {
    it('behave like signed-in ones', async () => {
      const client = await sessionClient(registry, 'bob');
      expect((await client.get('/api/v1/user/')).body.username).toBe('bob');
    });
  });
});

describe.each(testDialects())('sessions in read-only mode over https (%s)', (dialect) => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startTestRegistry({
      dialect,
      overrides: { REGISTRY_STATE: 'readonly', PREFERRED_URL_SCHEME: 'https' },
    });
    await registry.createUser('alice', 'alice-password');
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('still signs in and out, with a Secure cookie, while account changes are refused', async () => {
    const { res, client } = await signIn(registry, 'alice', 'alice-password');
    expect(res.headers.get('set-cookie')).toMatch(/; Secure/);
    const write = await client.put('/api/v1/user/', { tag_expiration_s: 0 });
    expect(write.status, write.describe()).toBe(503);
    expect((await client.post('/api/v1/signout')).status).toBe(200);
    expect((await client.get('/api/v1/user/')).status).toBe(401);
  });
});
