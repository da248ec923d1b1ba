import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerApiBodyParsers } from '../../src/api/body-parsers.js';
import { IMPLICIT_GRANT_TOKEN_LIFETIME_S } from '../../src/api/oauth.js';
import { authorizeOwnAccount, authorizeSuperuser } from '../../src/auth/authorize.js';
import { authenticateOAuthToken } from '../../src/auth/credentials.js';
import { findRepository } from '../../src/model/repositories.js';
import { ApiClient, type ApiResponse, anonymousClient, oauthToken, sessionClient, tokenClient } from '../helpers/api.js';
import { randomBlob, randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { createOrganizationBy } from '../helpers/fixtures.js';
import { basicAuth, errorCodes, RegistryClient, type RegistryResponse } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { jwtPayload } from '../conformance/support.js';

/**
 * OAuth access tokens: the implicit grant at POST /oauth/authorizeapp, the user's authorizations,
 * and what each Quay scope allows through real HTTP on /api/v1 and on /v2/ (`$oauthtoken`).
 */

const CALLBACK = 'https://cli.example/callback';

function fragmentOf(res: ApiResponse): URLSearchParams {
  const location = res.headers.get('location');
  expect(location, res.describe()).toBeTruthy();
  return new URLSearchParams(location!.slice(location!.indexOf('#') + 1));
}

function expectRegistryRefusal(res: RegistryResponse): void {
  expect([401, 403], res.describe()).toContain(res.status);
  expect(errorCodes(res).some((code) => code === 'UNAUTHORIZED' || code === 'DENIED'), res.describe()).toBe(true);
}

function expectApiRefusal(res: ApiResponse): void {
  expect([401, 403], res.describe()).toContain(res.status);
}

describe.each(testDialects())('OAuth access tokens and scopes (%s)', (dialect) => {
  let registry: TestRegistry;
  let alice: ApiClient;
  let bob: ApiClient;
  let cliClientId: string;
  let bareClientId: string;
  const privateRepo = 'alice/private';
  let privateDigest: string;

  function oauthRegistry(token: string): RegistryClient {
    return new RegistryClient(registry.url, basicAuth('$oauthtoken', token));
  }

  function grant(client: ApiClient, fields: Record<string, unknown>, headers: Record<string, string> = {}) {
    return client.request('POST', '/oauth/authorizeapp', fields, headers);
  }

  async function tokenRowCount(): Promise<number> {
    const rows = await registry.ctx.db.selectFrom('oauth_access_token').select('id').execute();
    return rows.length;
  }

  beforeAll(async () => {
    registry = await startTestRegistry({
      dialect,
      overrides: { SUPER_USERS: ['root'], FEATURE_SUPERUSERS_FULL_ACCESS: true },
    });
    for (const name of ['alice', 'bob', 'root']) await registry.createUser(name, `${name}-password-1`);
    await createOrganizationBy(registry, 'acme', 'alice');
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    const cli = await alice.post('/api/v1/organization/acme/applications', { name: 'CLI', redirect_uri: CALLBACK });
    expect(cli.status, cli.describe()).toBe(200);
    cliClientId = cli.body.client_id;
    const bare = await alice.post('/api/v1/organization/acme/applications', { name: 'Bare' });
    bareClientId = bare.body.client_id;
    const pushed = await new RegistryClient(registry.url, basicAuth('alice', 'alice-password-1')).pushImage(
      privateRepo,
      'v1',
      randomImage(1),
    );
    privateDigest = pushed.header('docker-content-digest')!;
    expect((await findRepository(registry.ctx.db, { namespace: 'alice', name: 'private' }))?.visibility).toBe('private');
  });
  afterAll(async () => {
    await registry?.close();
  });

  describe('POST /oauth/authorizeapp (implicit grant)', () => {
    it('redirects to the redirect URI with the token, its type, lifetime, scope and state in the fragment', async () => {
      const res = await grant(alice, {
        client_id: cliClientId,
        redirect_uri: CALLBACK,
        scope: 'repo:read',
        response_type: 'token',
        state: 'xyz-123',
      });
      expect(res.status, res.describe()).toBe(302);
      expect(res.headers.get('location')!.startsWith(`${CALLBACK}#`)).toBe(true);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const fragment = fragmentOf(res);
      expect(fragment.get('access_token')).toMatch(/^[A-Za-z0-9]{80}$/);
      expect(fragment.get('token_type')).toBe('Bearer');
      expect(fragment.get('expires_in')).toBe(String(IMPLICIT_GRANT_TOKEN_LIFETIME_S));
      expect(fragment.get('scope')).toBe('repo:read');
      expect(fragment.get('state')).toBe('xyz-123');
      // Quay's implicit-grant tokens last ten years.
      expect(IMPLICIT_GRANT_TOKEN_LIFETIME_S).toBe(315_576_000);
      const pull = await oauthRegistry(fragment.get('access_token')!).getManifest(privateRepo, 'v1');
      expect(pull.status, pull.describe()).toBe(200);
    });

    it('uses the registered redirect URI when none is given, and accepts URIs extending it', async () => {
      const omitted = await grant(alice, { client_id: cliClientId, scope: 'repo:read', response_type: 'token' });
      expect(omitted.status, omitted.describe()).toBe(302);
      expect(omitted.headers.get('location')!.startsWith(`${CALLBACK}#access_token=`)).toBe(true);
      for (const uri of [`${CALLBACK}/more`, `${CALLBACK}?from=cli`]) {
        const res = await grant(alice, { client_id: cliClientId, redirect_uri: uri, scope: 'repo:read', response_type: 'token' });
        expect(res.status, res.describe()).toBe(302);
        expect(res.headers.get('location')!.startsWith(`${uri}#`)).toBe(true);
      }
    });

    it("accepts the registry's own token page (LOCAL_OAUTH_HANDLER) for any application", async () => {
      const local = `${registry.url}/oauth/localapp`;
      const res = await grant(alice, { client_id: bareClientId, redirect_uri: local, scope: 'user:read', response_type: 'token' });
      expect(res.status, res.describe()).toBe(302);
      expect(res.headers.get('location')!.startsWith(`${local}#access_token=`)).toBe(true);
    });

    it('answers JSON when no redirect URI is registered or given and the client accepts JSON', async () => {
      const res = await grant(
        alice,
        { client_id: bareClientId, scope: 'user:read,repo:read', response_type: 'token' },
        { accept: 'application/json' },
      );
      expect(res.status, res.describe()).toBe(200);
      expect(res.body).toEqual({
        access_token: expect.stringMatching(/^[A-Za-z0-9]{80}$/),
        token_type: 'Bearer',
        expires_in: IMPLICIT_GRANT_TOKEN_LIFETIME_S,
        scope: 'repo:read user:read',
      });
      const without = await grant(alice, { client_id: bareClientId, scope: 'repo:read', response_type: 'token' });
      expect(without.status, without.describe()).toBe(400);
      expect(without.body.error).toBe('invalid_request');
    });

    it.each([
      ['an empty scope', ''],
      ['a missing scope', undefined],
      ['an unknown scope next to a valid one', 'repo:read repo:delete'],
      ['a wildcard', 'repo:*'],
      ['upper case', 'REPO:READ'],
      ['a Quay-internal scope', 'direct_user_login'],
      ['a registry scope', 'repository:alice/private:pull'],
      ['SQL', "repo:read' OR '1'='1"],
      ['an overlong scope', `repo:read ${'x'.repeat(2000)}`],
    ])('refuses %s with 400 invalid_scope and creates no token', async (_label, scope) => {
      const before = await tokenRowCount();
      const fields: Record<string, unknown> = { client_id: cliClientId, redirect_uri: CALLBACK, response_type: 'token' };
      if (scope !== undefined) fields['scope'] = scope;
      const res = await grant(alice, fields);
      expect(res.status, res.describe()).toBe(400);
      expect(res.body.error).toBe('invalid_scope');
      expect(res.body.error_type).toBe('invalid_request');
      expect(res.headers.get('location')).toBeNull();
      expect(await tokenRowCount()).toBe(before);
    });

    it.each([
      ['a host that only starts like the registered one', 'https://cli.example/callbackevil'],
      ['another host', 'https://evil.example/callback'],
      ['a look-alike host', 'https://cli.example.evil.test/callback'],
      ['a javascript: URI', 'javascript:alert(1)'],
      ['a relative URI', '/callback'],
      ['a URI with a fragment', `${CALLBACK}#x`],
      ['a URI with a header break', `${CALLBACK}/\r\nSet-Cookie: x=1`],
      ['a URI with raw non-ASCII', `${CALLBACK}/caf\u00e9`],
      ['a URI with a space', `${CALLBACK}/a b`],
    ])('refuses a redirect URI that is %s, without redirecting', async (_label, uri) => {
      const before = await tokenRowCount();
      const res = await grant(alice, { client_id: cliClientId, redirect_uri: uri, scope: 'repo:read', response_type: 'token' });
      expect(res.status, res.describe()).toBe(400);
      expect(res.body.error).toBe('invalid_request');
      expect(res.headers.get('location')).toBeNull();
      expect(await tokenRowCount()).toBe(before);
    });

    it('refuses an unknown, missing or overlong client_id and other response types', async () => {
      const base = { redirect_uri: CALLBACK, scope: 'repo:read', response_type: 'token' };
      const unknown = await grant(alice, { ...base, client_id: 'NOSUCHCLIENT00000000' });
      expect(unknown.status, unknown.describe()).toBe(400);
      expect(unknown.body.error).toBe('unauthorized_client');
      expect((await grant(alice, { ...base, client_id: 'x'.repeat(5000) })).body.error).toBe('unauthorized_client');
      const missing = await grant(alice, base);
      expect(missing.status).toBe(400);
      expect(missing.body.error).toBe('invalid_request');
      const code = await grant(alice, { ...base, client_id: cliClientId, response_type: 'code' });
      expect(code.status).toBe(400);
      expect(code.body.error).toBe('unsupported_response_type');
      const wrongType = await grant(alice, { ...base, client_id: 42 });
      expect(wrongType.status).toBe(400);
    });

    it('needs a signed-in user: anonymous gets 401, a session without the CSRF header 403', async () => {
      const fields = { client_id: cliClientId, redirect_uri: CALLBACK, scope: 'repo:read', response_type: 'token' };
      const anonymous = await grant(anonymousClient(registry), fields);
      expect(anonymous.status, anonymous.describe()).toBe(401);
      const noCsrf = await grant(alice, fields, { 'x-csrf-token': 'not-the-token' });
      expect(noCsrf.status, noCsrf.describe()).toBe(403);
      expect(noCsrf.headers.get('location')).toBeNull();
    });

    it('lets an OAuth token grant only scopes it covers, and only with user:admin', async () => {
      const fields = { client_id: bareClientId, response_type: 'token' };
      const json = { accept: 'application/json' };
      const narrow = await tokenClient(registry, 'alice', ['repo:read']);
      expect((await grant(narrow, { ...fields, scope: 'repo:read' }, json)).status).toBe(403);
      const admin = await tokenClient(registry, 'alice', ['user:admin', 'repo:read']);
      const escalate = await grant(admin, { ...fields, scope: 'repo:write' }, json);
      expect(escalate.status, escalate.describe()).toBe(403);
      expect((await grant(admin, { ...fields, scope: 'super:user' }, json)).status).toBe(403);
      const same = await grant(admin, { ...fields, scope: 'repo:read' }, json);
      expect(same.status, same.describe()).toBe(200);
      const broad = await tokenClient(registry, 'alice', ['user:admin', 'repo:admin']);
      const implied = await grant(broad, { ...fields, scope: 'repo:write repo:read' }, json);
      expect(implied.status, implied.describe()).toBe(200);
      expect(implied.body.scope).toBe('repo:read repo:write');
    });
  });

  describe('/api/v1/user/authorizations', () => {
    it("lists the tokens the user granted, with application and scopes, never another user's", async () => {
      const res = await grant(
        alice,
        { client_id: bareClientId, scope: 'repo:read user:admin', response_type: 'token' },
        { accept: 'application/json' },
      );
      const token = res.body.access_token as string;
      const bobGrant = await grant(
        bob,
        { client_id: bareClientId, scope: 'repo:read', response_type: 'token' },
        { accept: 'application/json' },
      );
      expect(bobGrant.status).toBe(200);

      const list = await alice.get('/api/v1/user/authorizations');
      expect(list.status, list.describe()).toBe(200);
      const mine = list.body.authorizations.filter(
        (a: { scopes: Array<{ scope: string }> }) => a.scopes.map((s) => s.scope).join(' ') === 'repo:read user:admin',
      );
      expect(mine.length).toBeGreaterThan(0);
      const entry = mine.at(-1);
      expect(entry.uuid).toMatch(/^[0-9a-f-]{36}$/);
      expect(entry.application).toMatchObject({
        name: 'Bare',
        clientId: bareClientId,
        organization: { name: 'acme', avatar: { kind: 'org', name: 'acme' } },
        avatar: { kind: 'app' },
      });
      expect(entry.scopes[1]).toMatchObject({ scope: 'user:admin', dangerous: true });
      expect(typeof entry.scopes[0].description).toBe('string');
      expect(JSON.stringify(list.body)).not.toContain(token);
      expect(JSON.stringify(list.body)).not.toContain(bobGrant.body.access_token);

      const bobList = await bob.get('/api/v1/user/authorizations');
      const bobUuids = bobList.body.authorizations.map((a: { uuid: string }) => a.uuid);
      expect(bobUuids).toHaveLength(1);
      expect(bobUuids).not.toContain(entry.uuid);
      expect((await bob.get(`/api/v1/user/authorizations/${entry.uuid}`)).status).toBe(404);
      expect((await bob.delete(`/api/v1/user/authorizations/${entry.uuid}`)).status).toBe(404);

      const one = await alice.get(`/api/v1/user/authorizations/${entry.uuid}`);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(entry);
    });

    it('revokes a token: it stops working on the API and on /v2/', async () => {
      const res = await grant(
        alice,
        { client_id: bareClientId, scope: 'repo:read user:admin', response_type: 'token' },
        { accept: 'application/json' },
      );
      const token = res.body.access_token as string;
      const viaToken = new ApiClient(registry.url, { bearer: token });
      const list = await viaToken.get('/api/v1/user/authorizations');
      expect(list.status, list.describe()).toBe(200);
      expect((await oauthRegistry(token).getManifest(privateRepo, 'v1')).status).toBe(200);
      const uuid = list.body.authorizations.at(-1).uuid;

      const revoke = await alice.delete(`/api/v1/user/authorizations/${uuid}`);
      expect(revoke.status, revoke.describe()).toBe(204);
      expect((await alice.get(`/api/v1/user/authorizations/${uuid}`)).status).toBe(404);
      expect((await viaToken.get('/api/v1/user/authorizations')).status).toBe(401);
      expect((await oauthRegistry(token).getManifest(privateRepo, 'v1')).status).toBe(401);
    });

    it('needs user:admin and a signed-in user', async () => {
      expect((await anonymousClient(registry).get('/api/v1/user/authorizations')).status).toBe(401);
      expect((await (await tokenClient(registry, 'alice', ['user:read'])).get('/api/v1/user/authorizations')).status).toBe(403);
      expect((await alice.get('/api/v1/user/authorizations/00000000-0000-0000-0000-000000000000')).status).toBe(404);
      expect((await alice.delete('/api/v1/user/authorizations/not-a-uuid')).status).toBe(404);
    });

    it('never stores an access token in clear', async () => {
      const res = await grant(
        alice,
        { client_id: bareClientId, scope: 'repo:read', response_type: 'token' },
        { accept: 'application/json' },
      );
      const token = res.body.access_token as string;
      const rows = await registry.ctx.db.selectFrom('oauth_access_token').selectAll().execute();
      const row = rows.find((r) => r.token_name === token.slice(0, 40));
      expect(row).toBeDefined();
      expect(row!.token_secret_hash).toMatch(/^[0-9a-f]{64}$/);
      for (const each of rows) expect(JSON.stringify(each)).not.toContain(token.slice(40));
    });
  });

  describe('scopes on /v2/ ($oauthtoken basic auth)', () => {
    it('repo:read pulls a private repository of the user, but cannot push or delete', async () => {
      const client = oauthRegistry(await oauthToken(registry, 'alice', ['repo:read']));
      expect((await client.getManifest(privateRepo, 'v1')).status).toBe(200);
      const tags = await client.get(`/v2/${privateRepo}/tags/list`);
      expect(tags.status, tags.describe()).toBe(200);
      expectRegistryRefusal(await client.startUpload(privateRepo));
      expectRegistryRefusal(await client.putManifest(privateRepo, 'nope', randomImage(1).manifest));
      expectRegistryRefusal(await client.delete(`/v2/${privateRepo}/manifests/${privateDigest}`));
    });

    it('repo:read gets only pull in a registry token from /v2/auth', async () => {
      const client = oauthRegistry(await oauthToken(registry, 'alice', ['repo:read']));
      const res = await client.tokenRequest([`repository:${privateRepo}:pull,push,*`]);
      expect(res.status, res.describe()).toBe(200);
      const payload = jwtPayload((res.json() as { token: string }).token);
      expect(payload['access']).toEqual([{ type: 'repository', name: privateRepo, actions: ['pull'] }]);
    });

    it('repo:write pushes to and deletes tags of an existing repository, but cannot create one', async () => {
      const client = oauthRegistry(await oauthToken(registry, 'alice', ['repo:write']));
      const push = await client.pushImage(privateRepo, 'written', randomImage(1));
      expect(push.status).toBe(201);
      // Deleting on /v2/ needs write, as in Quay.
      const removed = await client.delete(`/v2/${privateRepo}/manifests/written`);
      expect(removed.status, removed.describe()).toBe(202);
      const fresh = `alice/new-${randomBytes(4).toString('hex')}`;
      expectRegistryRefusal(await client.startUpload(fresh));
      expect(await findRepository(registry.ctx.db, { namespace: 'alice', name: fresh.slice(6) })).toBeUndefined();
    });

    it('repo:create with repo:write creates a repository by pushing', async () => {
      const client = oauthRegistry(await oauthToken(registry, 'alice', ['repo:create', 'repo:write']));
      const fresh = `alice/created-${randomBytes(4).toString('hex')}`;
      const push = await client.pushImage(fresh, 'v1', randomImage(1));
      expect(push.status).toBe(201);
      expect(await findRepository(registry.ctx.db, { namespace: 'alice', name: fresh.slice(6) })).toBeDefined();
    });

    it('repo:admin includes write: it deletes a manifest', async () => {
      const owner = new RegistryClient(registry.url, basicAuth('alice', 'alice-password-1'));
      const repo = `alice/deletable-${randomBytes(4).toString('hex')}`;
      const digest = (await owner.pushImage(repo, 'v1', randomImage(1))).header('docker-content-digest')!;
      const client = oauthRegistry(await oauthToken(registry, 'alice', ['repo:admin']));
      const res = await client.delete(`/v2/${repo}/manifests/${digest}`);
      expect(res.status, res.describe()).toBe(202);
    });

    it('a token without repository scopes cannot pull even the user own private repository', async () => {
      const client = oauthRegistry(await oauthToken(registry, 'alice', ['user:admin', 'org:admin']));
      expectRegistryRefusal(await client.getManifest(privateRepo, 'v1'));
      expectRegistryRefusal(await client.startUpload(privateRepo));
    });

    it('scopes never add rights the user lacks', async () => {
      const client = oauthRegistry(await oauthToken(registry, 'bob', ['repo:admin', 'repo:create', 'super:user']));
      expect([401, 403, 404]).toContain((await client.getManifest(privateRepo, 'v1')).status);
      expectRegistryRefusal(await client.startUpload(privateRepo));
      // The same token does work where bob has the rights: his own namespace.
      await expect(client.pushBlob(`bob/own-${randomBytes(3).toString('hex')}`, randomBlob())).resolves.toBeUndefined();
    });

    it('super:user lets a superuser with full access read any repository; without it they cannot', async () => {
      const without = oauthRegistry(await oauthToken(registry, 'root', ['repo:read']));
      expectRegistryRefusal(await without.getManifest(privateRepo, 'v1'));
      const withScope = oauthRegistry(await oauthToken(registry, 'root', ['repo:read', 'super:user']));
      expect((await withScope.getManifest(privateRepo, 'v1')).status).toBe(200);
    });

    it('refuses an expired token with 401', async () => {
      const token = await oauthToken(registry, 'alice', ['repo:read']);
      await registry.ctx.db
        .updateTable('oauth_access_token')
        .set({ expires_at: Date.now() - 1000 })
        .where('token_name', '=', token.slice(0, 40))
        .execute();
      expect((await oauthRegistry(token).getManifest(privateRepo, 'v1')).status).toBe(401);
    });
  });

  describe('scopes on /api/v1 (Bearer)', () => {
    const repoPath = '/api/v1/repository/alice/private';

    it('repo:read reads a private repository but cannot administer it', async () => {
      const client = await tokenClient(registry, 'alice', ['repo:read']);
      const get = await client.get(repoPath);
      expect(get.status, get.describe()).toBe(200);
      expectApiRefusal(await client.get(`${repoPath}/permissions/user/`));
    });

    it('repo:admin administers it; no repository scope cannot even read it', async () => {
      const admin = await tokenClient(registry, 'alice', ['repo:admin']);
      const perms = await admin.get(`${repoPath}/permissions/user/`);
      expect(perms.status, perms.describe()).toBe(200);
      const none = await tokenClient(registry, 'alice', ['user:admin']);
      expectApiRefusal(await none.get(repoPath));
    });

    it('repo:create is needed to create a repository', async () => {
      const name = `api-${randomBytes(4).toString('hex')}`;
      const body = { namespace: 'alice', repository: name, visibility: 'private', description: '' };
      const without = await tokenClient(registry, 'alice', ['repo:admin']);
      expectApiRefusal(await without.post('/api/v1/repository', body));
      const withScope = await tokenClient(registry, 'alice', ['repo:create']);
      const res = await withScope.post('/api/v1/repository', body);
      expect(res.status, res.describe()).toBe(201);
    });

    it('user:read reads the account; user:admin is needed for account administration', async () => {
      const reader = await tokenClient(registry, 'alice', ['user:read']);
      const me = await reader.get('/api/v1/user/');
      expect(me.status, me.describe()).toBe(200);
      expect(me.body.username).toBe('alice');
      expect((await reader.get('/api/v1/user/apptoken')).status).toBe(403);
      const repoOnly = await tokenClient(registry, 'alice', ['repo:admin']);
      expect((await repoOnly.get('/api/v1/user/')).status).toBe(403);
      const admin = await tokenClient(registry, 'alice', ['user:admin']);
      expect((await admin.get('/api/v1/user/apptoken')).status).toBe(200);
      expect((await admin.get('/api/v1/user/')).status).toBe(200);
    });

    it('org:admin is needed to administer an organization', async () => {
      const withScope = await tokenClient(registry, 'alice', ['org:admin']);
      expect((await withScope.get('/api/v1/organization/acme/applications')).status).toBe(200);
      const without = await tokenClient(registry, 'alice', ['user:admin', 'repo:admin', 'repo:create']);
      expect((await without.get('/api/v1/organization/acme/applications')).status).toBe(403);
      const outsider = await tokenClient(registry, 'bob', ['org:admin']);
      expect((await outsider.get('/api/v1/organization/acme/applications')).status).toBe(403);
    });

    it('super:user is needed for superuser endpoints, and only helps superusers', async () => {
      const root = await tokenClient(registry, 'root', ['super:user']);
      const list = await root.get('/api/v1/superuser/users/');
      expect(list.status, list.describe()).toBe(200);
      const rootWithout = await tokenClient(registry, 'root', ['user:admin', 'org:admin']);
      expect((await rootWithout.get('/api/v1/superuser/users/')).status).toBe(403);
      const aliceWith = await tokenClient(registry, 'alice', ['super:user']);
      expect((await aliceWith.get('/api/v1/superuser/users/')).status).toBe(403);
    });

    it('the authorize functions agree for the user and superuser scopes', async () => {
      const identity = async (user: string, scopes: string[]) =>
        authenticateOAuthToken(registry.ctx, await oauthToken(registry, user, scopes));
      expect(authorizeOwnAccount(await identity('alice', ['user:read']), 'user:read').name).toBe('alice');
      await expect(identity('alice', ['repo:read']).then((i) => authorizeOwnAccount(i, 'user:read'))).rejects.toThrow(
        /user:read/,
      );
      await expect(identity('alice', ['user:read']).then((i) => authorizeOwnAccount(i, 'user:admin'))).rejects.toThrow(
        /user:admin/,
      );
      expect(authorizeSuperuser(await identity('root', ['super:user'])).name).toBe('root');
      await expect(identity('root', ['user:admin']).then((i) => authorizeSuperuser(i))).rejects.toThrow(/superuser/);
    });
  });
});

describe('registerApiBodyParsers', () => {
  it('parses HTML form posts to the OAuth form into the same fields as a JSON body, and refuses them elsewhere', async () => {
    const app = Fastify();
    registerApiBodyParsers(app);
    app.post('/oauth/echo', async (request) => request.body);
    app.post('/api/v1/echo', async (request) => request.body);
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/oauth/echo',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'client_id=ABC&scope=repo%3Aread+user%3Aread&response_type=token&redirect_uri=https%3A%2F%2Fx.example%2Fcb',
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        client_id: 'ABC',
        scope: 'repo:read user:read',
        response_type: 'token',
        redirect_uri: 'https://x.example/cb',
      });
      // Anywhere else a form post is refused: cross-site pages can send forms without a preflight.
      const elsewhere = await app.inject({
        method: 'POST',
        url: '/api/v1/echo',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'username=attacker&password=x',
      });
      expect(elsewhere.statusCode).toBe(415);
    } finally {
      await app.close();
    }
  });
});
