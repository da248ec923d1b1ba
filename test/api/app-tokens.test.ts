import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppToken } from '../../src/model/app-tokens.js';
import { type ApiClient, anonymousClient, sessionClient, tokenClient } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { namespaceId } from '../helpers/fixtures.js';
import { basicAuth, errorCodes, isRecord, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** Application-specific tokens: /api/v1/user/apptoken and `docker login -u '$app'` on /v2/. */

const TOKEN_CODE = /^[A-Za-z0-9]{120}$/;
const QUAY_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} -0000$/;

async function createToken(client: ApiClient, title: string): Promise<{ uuid: string; token_code: string }> {
  const res = await client.post('/api/v1/user/apptoken', { title });
  expect(res.status, res.describe()).toBe(200);
  return res.body.token;
}

function appLogin(registry: TestRegistry, code: string): RegistryClient {
  return new RegistryClient(registry.url, basicAuth('$app', code));
}

describe.each(testDialects())('application-specific tokens (%s)', (dialect) => {
  let registry: TestRegistry;
  let alice: ApiClient;
  let bob: ApiClient;
  let privateRepo: string;

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await registry.createUser('alice', 'alice-password-1');
    await registry.createUser('bob', 'bob-password-1');
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    privateRepo = 'alice/secret-app';
    await new RegistryClient(registry.url, basicAuth('alice', 'alice-password-1')).pushImage(
      privateRepo,
      'v1',
      randomImage(1),
    );
  });
  afterAll(async () => {
    await registry?.close();
  });

  describe('create, list, get, revoke', () => {
    it('creates a token and shows its code to the owner on creation and on GET, never in the list', async () => {
      const created = await alice.post('/api/v1/user/apptoken', { title: 'laptop docker' });
      expect(created.status, created.describe()).toBe(200);
      const token = created.body.token;
      expect(token).toMatchObject({ title: 'laptop docker', last_accessed: null, expiration: null });
      expect(token.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect(token.created).toMatch(QUAY_DATE);
      expect(token.token_code).toMatch(TOKEN_CODE);

      const list = await alice.get('/api/v1/user/apptoken');
      expect(list.status, list.describe()).toBe(200);
      expect(list.body.only_expiring).toBe(false);
      const listed = list.body.tokens.find((t: { uuid: string }) => t.uuid === token.uuid);
      expect(listed).toEqual({
        uuid: token.uuid,
        title: 'laptop docker',
        last_accessed: null,
        created: token.created,
        expiration: null,
      });
      expect(JSON.stringify(list.body)).not.toContain(token.token_code);

      const one = await alice.get(`/api/v1/user/apptoken/${token.uuid}`);
      expect(one.status, one.describe()).toBe(200);
      expect(one.body.token.token_code).toBe(token.token_code);
    });

    it('trims the title', async () => {
      const token = await createToken(alice, '  spaced  ');
      expect((await alice.get(`/api/v1/user/apptoken/${token.uuid}`)).body.token.title).toBe('spaced');
    });

    it('revokes a token: 204, then 404, and it no longer logs in', async () => {
      const token = await createToken(alice, 'short-lived');
      expect((await appLogin(registry, token.token_code).get('/v2/')).status).toBe(200);
      const revoke = await alice.delete(`/api/v1/user/apptoken/${token.uuid}`);
      expect(revoke.status, revoke.describe()).toBe(204);
      expect((await alice.get(`/api/v1/user/apptoken/${token.uuid}`)).status).toBe(404);
      expect((await alice.delete(`/api/v1/user/apptoken/${token.uuid}`)).status).toBe(404);
      const login = await appLogin(registry, token.token_code).get('/v2/');
      expect(login.status).toBe(401);
      expect(errorCodes(login)).toContain('UNAUTHORIZED');
    });

    it('answers 404 for unknown and malformed token ids', async () => {
      for (const uuid of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid', "x'%20OR%201=1--"]) {
        const get = await alice.get(`/api/v1/user/apptoken/${uuid}`);
        expect(get.status, get.describe()).toBe(404);
        expect(get.body.error_type).toBe('not_found');
        expect((await alice.delete(`/api/v1/user/apptoken/${uuid}`)).status).toBe(404);
      }
    });
  });

  describe('bad input', () => {
    it.each([
      ['an empty title', { title: '' }],
      ['a blank title', { title: '    ' }],
      ['an overlong title', { title: 'x'.repeat(256) }],
      ['a missing title', {}],
      ['a numeric title', { title: 42 }],
    ])('refuses %s with a clean 400', async (_label, body) => {
      const res = await alice.post('/api/v1/user/apptoken', body);
      expect(res.status, res.describe()).toBe(400);
      expect(res.body.error_type).toBe('invalid_request');
      expect(typeof res.body.error_message).toBe('string');
    });

    it('accepts a title of exactly 255 characters', async () => {
      const token = await createToken(alice, 'y'.repeat(255));
      expect(token.token_code).toMatch(TOKEN_CODE);
    });

    it('refuses a body that is not JSON', async () => {
      const res = await alice.request('POST', '/api/v1/user/apptoken', undefined, { 'content-type': 'application/json' });
      expect(res.status, res.describe()).toBe(400);
      const raw = await fetch(`${registry.url}/api/v1/user/apptoken`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie: `quayside_session=${(alice.auth as { session: { cookie: string } }).session.cookie}`,
          'x-csrf-token': (alice.auth as { session: { csrf: string } }).session.csrf,
        },
        body: '{"title":',
      });
      expect(raw.status).toBe(400);
    });
  });

  describe('who may call', () => {
    it('refuses anonymous callers with 401', async () => {
      const anonymous = anonymousClient(registry);
      expect((await anonymous.get('/api/v1/user/apptoken')).status).toBe(401);
      expect((await anonymous.post('/api/v1/user/apptoken', { title: 'x' })).status).toBe(401);
      expect((await anonymous.get('/api/v1/user/apptoken/00000000-0000-0000-0000-000000000000')).status).toBe(401);
    });

    it('needs user:admin with an OAuth token: user:read and repo scopes get 403', async () => {
      for (const scopes of [['user:read'], ['repo:admin', 'repo:create', 'org:admin']]) {
        const client = await tokenClient(registry, 'alice', scopes);
        const list = await client.get('/api/v1/user/apptoken');
        expect(list.status, list.describe()).toBe(403);
        expect(list.body.error_type).toBe('insufficient_scope');
        expect((await client.post('/api/v1/user/apptoken', { title: 'x' })).status).toBe(403);
      }
      const admin = await tokenClient(registry, 'alice', ['user:admin']);
      expect((await admin.get('/api/v1/user/apptoken')).status).toBe(200);
      const created = await admin.post('/api/v1/user/apptoken', { title: 'from a token' });
      expect(created.status, created.describe()).toBe(200);
    });

    it('needs a fresh login to create, read or revoke one token with a session; the list does not', async () => {
      const token = await createToken(alice, 'fresh');
      const stale = await sessionClient(registry, 'alice');
      const cookie = (stale.auth as { session: { cookie: string } }).session.cookie;
      await registry.ctx.db
        .updateTable('user_session')
        .set({ login_at: Date.now() - 3_600_000 })
        .where('token_name', '=', cookie.split('.')[0]!)
        .execute();
      for (const res of [
        await stale.post('/api/v1/user/apptoken', { title: 'stale' }),
        await stale.get(`/api/v1/user/apptoken/${token.uuid}`),
        await stale.delete(`/api/v1/user/apptoken/${token.uuid}`),
      ]) {
        expect(res.status, res.describe()).toBe(401);
        expect(res.body.error_type).toBe('fresh_login_required');
        expect(JSON.stringify(res.body)).not.toContain(token.token_code);
      }
      expect((await stale.get('/api/v1/user/apptoken')).status).toBe(200);
      expect((await alice.get(`/api/v1/user/apptoken/${token.uuid}`)).status).toBe(200);
    });

    it('a session write without the CSRF header is refused', async () => {
      const res = await alice.request('POST', '/api/v1/user/apptoken', { title: 'csrf' }, { 'x-csrf-token': 'wrong' });
      expect(res.status).toBe(403);
    });

    it("never shows or revokes another user's token", async () => {
      const aliceToken = await createToken(alice, 'alice only');
      const bobToken = await createToken(bob, 'bob only');

      const bobList = await bob.get('/api/v1/user/apptoken');
      const bobUuids = bobList.body.tokens.map((t: { uuid: string }) => t.uuid);
      expect(bobUuids).toContain(bobToken.uuid);
      expect(bobUuids).not.toContain(aliceToken.uuid);
      expect(JSON.stringify(bobList.body)).not.toContain('alice only');

      const get = await bob.get(`/api/v1/user/apptoken/${aliceToken.uuid}`);
      expect(get.status).toBe(404);
      expect(JSON.stringify(get.body)).not.toContain(aliceToken.token_code);
      expect((await bob.delete(`/api/v1/user/apptoken/${aliceToken.uuid}`)).status).toBe(404);

      // Alice's token survived bob's attempt, and logs in as alice, not bob.
      expect((await alice.get(`/api/v1/user/apptoken/${aliceToken.uuid}`)).status).toBe(200);
      const pull = await appLogin(registry, aliceToken.token_code).getManifest(privateRepo, 'v1');
      expect(pull.status, pull.describe()).toBe(200);
      const bobPull = await appLogin(registry, bobToken.token_code).getManifest(privateRepo, 'v1');
      expect([401, 403, 404]).toContain(bobPull.status);
    });
  });

  describe("docker login -u '$app'", () => {
    it('logs in on /v2/ with basic auth and pulls a private repository of its owner', async () => {
      const token = await createToken(alice, 'docker');
      const client = appLogin(registry, token.token_code);
      expect((await client.get('/v2/')).status).toBe(200);
      const pull = await client.getManifest(privateRepo, 'v1');
      expect(pull.status, pull.describe()).toBe(200);
      const tags = await client.get(`/v2/${privateRepo}/tags/list`);
      expect(tags.status).toBe(200);
      expect((tags.json() as { tags: string[] }).tags).toContain('v1');
    });

    it('pushes as its owner (app tokens carry the user full rights)', async () => {
      const token = await createToken(alice, 'push');
      const res = await appLogin(registry, token.token_code).pushImage(privateRepo, 'pushed-by-app', randomImage(1));
      expect(res.status).toBe(201);
    });

    it('gets a registry token from GET /v2/auth', async () => {
      const token = await createToken(alice, 'token flow');
      const client = appLogin(registry, token.token_code);
      const res = await client.tokenRequest([`repository:${privateRepo}:pull,push`]);
      expect(res.status, res.describe()).toBe(200);
      const body = res.json();
      expect(isRecord(body) && typeof body['token'] === 'string').toBe(true);
      const bearer = await client.withToken([`repository:${privateRepo}:pull`]);
      expect((await bearer.getManifest(privateRepo, 'v1')).status).toBe(200);
    });

    it('records when the token was last used', async () => {
      const token = await createToken(alice, 'tracked');
      expect((await appLogin(registry, token.token_code).get('/v2/')).status).toBe(200);
      const one = await alice.get(`/api/v1/user/apptoken/${token.uuid}`);
      expect(one.body.token.last_accessed).toMatch(QUAY_DATE);
    });

    it('refuses a wrong, truncated or altered token with 401', async () => {
      const token = await createToken(alice, 'tamper');
      const last = token.token_code.at(-1) === 'A' ? 'B' : 'A';
      for (const code of [
        `${token.token_code.slice(0, -1)}${last}`,
        token.token_code.slice(0, 60),
        'A'.repeat(120),
        `${token.token_code}x`,
      ]) {
        const res = await appLogin(registry, code).get('/v2/');
        expect(res.status).toBe(401);
        expect((await appLogin(registry, code).tokenRequest([`repository:${privateRepo}:pull`])).status).toBe(401);
      }
    });

    it('refuses an expired token with 401 on /v2/ and /v2/auth', async () => {
      const token = await createToken(alice, 'expires');
      const client = appLogin(registry, token.token_code);
      expect((await client.get('/v2/')).status).toBe(200);
      await registry.ctx.db
        .updateTable('app_token')
        .set({ expires_at: Date.now() - 1000 })
        .where('uuid', '=', token.uuid)
        .execute();
      expect((await client.get('/v2/')).status).toBe(401);
      expect((await client.getManifest(privateRepo, 'v1')).status).toBe(401);
      expect((await client.tokenRequest([`repository:${privateRepo}:pull`])).status).toBe(401);
    });

    it('refuses the token of a disabled user', async () => {
      await registry.createUser('dora', 'dora-password-1');
      const dora = await sessionClient(registry, 'dora');
      const token = await createToken(dora, 'dora');
      expect((await appLogin(registry, token.token_code).get('/v2/')).status).toBe(200);
      await registry.ctx.db.updateTable('namespace').set({ enabled: 0 }).where('name', '=', 'dora').execute();
      expect((await appLogin(registry, token.token_code).get('/v2/')).status).toBe(401);
    });
  });

  describe('storage', () => {
    it('keeps the token secret encrypted: the database never holds it in clear', async () => {
      const token = await createToken(alice, 'at rest');
      const row = await registry.ctx.db
        .selectFrom('app_token')
        .selectAll()
        .where('uuid', '=', token.uuid)
        .executeTakeFirstOrThrow();
      const secretPart = token.token_code.slice(60);
      expect(row.token_name).toBe(token.token_code.slice(0, 60));
      expect(row.token_secret_encrypted.startsWith('v1$')).toBe(true);
      expect(JSON.stringify(row)).not.toContain(secretPart);
      expect(registry.ctx.secrets.open(row.token_secret_encrypted)).toBe(secretPart);
    });
  });
});

describe.each(testDialects())('application-specific token configuration (%s)', (dialect) => {
  let expiring: TestRegistry;
  let disabled: TestRegistry;

  beforeAll(async () => {
    expiring = await startTestRegistry({ dialect, overrides: { APP_SPECIFIC_TOKEN_EXPIRATION: '30d' } });
    disabled = await startTestRegistry({ dialect, overrides: { FEATURE_APP_SPECIFIC_TOKENS: false } });
    await expiring.createUser('alice', 'alice-password-1');
    await disabled.createUser('alice', 'alice-password-1');
  });
  afterAll(async () => {
    await expiring?.close();
    await disabled?.close();
  });

  it('APP_SPECIFIC_TOKEN_EXPIRATION sets the expiration of new tokens', async () => {
    const alice = await sessionClient(expiring, 'alice');
    const before = Date.now();
    const token = await createToken(alice, 'thirty days');
    const view = (await alice.get(`/api/v1/user/apptoken/${token.uuid}`)).body.token;
    const expiresAt = Date.parse(view.expiration);
    const thirtyDays = 30 * 86_400_000;
    expect(expiresAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + thirtyDays - 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + thirtyDays + 1000);
  });

  it('?expiring=true lists only tokens expiring within a tenth of the lifetime', async () => {
    const alice = await sessionClient(expiring, 'alice');
    const soon = await createToken(alice, 'soon');
    const later = await createToken(alice, 'later');
    await expiring.ctx.db
      .updateTable('app_token')
      .set({ expires_at: Date.now() + 3_600_000 })
      .where('uuid', '=', soon.uuid)
      .execute();
    const res = await alice.get('/api/v1/user/apptoken?expiring=true');
    expect(res.status, res.describe()).toBe(200);
    expect(res.body.only_expiring).toBe(true);
    const uuids = res.body.tokens.map((t: { uuid: string }) => t.uuid);
    expect(uuids).toContain(soon.uuid);
    expect(uuids).not.toContain(later.uuid);
    expect((await alice.get('/api/v1/user/apptoken?expiring=maybe')).status).toBe(400);
  });

  it('FEATURE_APP_SPECIFIC_TOKENS off: the endpoints answer 404 and existing tokens do not log in', async () => {
    const alice = await sessionClient(disabled, 'alice');
    expect((await alice.get('/api/v1/user/apptoken')).status).toBe(404);
    expect((await alice.post('/api/v1/user/apptoken', { title: 'x' })).status).toBe(404);
    const { row, token } = await createAppToken(disabled.ctx.db, disabled.ctx.secrets, {
      userId: await namespaceId(disabled, 'alice'),
      title: 'made before the switch',
      expiresInS: null,
    });
    expect((await alice.get(`/api/v1/user/apptoken/${row.uuid}`)).status).toBe(404);
    expect((await alice.delete(`/api/v1/user/apptoken/${row.uuid}`)).status).toBe(404);
    const client = appLogin(disabled, token);
    expect((await client.get('/v2/')).status).toBe(401);
    expect((await client.tokenRequest(['repository:alice/x:pull'])).status).toBe(401);
    // The same token works where the feature is on: the 401 above is the flag's doing.
    const { token: enabledToken } = await createAppToken(expiring.ctx.db, expiring.ctx.secrets, {
      userId: await namespaceId(expiring, 'alice'),
      title: 'control',
      expiresInS: null,
    });
    expect((await appLogin(expiring, enabledToken).get('/v2/')).status).toBe(200);
  });
});
