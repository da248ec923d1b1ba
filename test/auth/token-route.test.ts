import Fastify, { type FastifyInstance } from 'fastify';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessGrant } from '../../src/auth/principal.js';
import { createRegistryTokens, type RegistryTokenService } from '../../src/auth/registry-jwt.js';
import type { QuaysideConfig } from '../../src/config/load.js';
import { createNamespace } from '../../src/model/namespaces.js';
import { ensureRepository } from '../../src/model/repositories.js';
import { createUser } from '../../src/model/users.js';
import { tokenRoutes } from '../../src/registry/token-route.js';
import { testDialects } from '../helpers/databases.js';
import { basicAuth, openTestDatabase, type TestDatabase } from './support.js';

const HOST = 'registry.test:5000';

interface TokenBody {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

describe.each(testDialects())('GET /v2/auth (%s)', (dialect) => {
  let t: TestDatabase;
  let tokens: RegistryTokenService;
  const apps: FastifyInstance[] = [];

  async function appWith(overrides: Partial<QuaysideConfig> = {}): Promise<FastifyInstance> {
    const app = Fastify();
    await tokenRoutes(app, { config: { ...t.config, ...overrides }, db: t.db, tokens, secrets: t.secrets, metrics: t.metrics });
    apps.push(app);
    return app;
  }

  async function requestToken(
    app: FastifyInstance,
    options: { scopes?: string[]; auth?: string; service?: string; host?: string } = {},
  ) {
    const query = new URLSearchParams();
    if (options.service !== undefined) query.append('service', options.service);
    for (const scope of options.scopes ?? []) query.append('scope', scope);
    const headers: Record<string, string> = { host: options.host ?? HOST };
    if (options.auth) headers['authorization'] = options.auth;
    return app.inject({ method: 'GET', url: `/v2/auth?${query.toString()}`, headers });
  }

  async function grantedAccess(
    app: FastifyInstance,
    options: Parameters<typeof requestToken>[1],
  ): Promise<AccessGrant[]> {
    const response = await requestToken(app, options);
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<TokenBody>();
    return decodeJwt(body.token)['access'] as AccessGrant[];
  }

  const alice = basicAuth('alice', 'alice-password');
  const bob = basicAuth('bob', 'bob-password');

  beforeAll(async () => {
    t = await openTestDatabase(dialect);
    tokens = await createRegistryTokens(t);
    const aliceRow = await createUser(t.db, t.config, { name: 'alice', password: 'alice-password' });
    await createUser(t.db, t.config, { name: 'bob', password: 'bob-password' });
    await ensureRepository(t.db, aliceRow.id, { namespace: 'alice', name: 'private' }, 'private');
    await ensureRepository(t.db, aliceRow.id, { namespace: 'alice', name: 'public' }, 'public');
    const library = await createNamespace(t.db, { name: 'library', kind: 'organization', removedTagExpirationS: 0 });
    await ensureRepository(t.db, library.id, { namespace: 'library', name: 'busybox' }, 'public');
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await tokens.close();
    await t.close();
  });

  it('gives the owner pull and push on a private repository, in a token the registry accepts', async () => {
    const app = await appWith();
    const response = await requestToken(app, { auth: alice, scopes: ['repository:alice/private:pull,push'] });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json<TokenBody>();
    expect(body.access_token).toBe(body.token);
    expect(body.expires_in).toBe(t.config.TOKEN_VALIDITY_LIFETIME_S);
    expect(Math.abs(Date.parse(body.issued_at) - Date.now())).toBeLessThan(10_000);

    const verified = await tokens.verify(body.token, HOST);
    expect(verified.principal).toMatchObject({ kind: 'user', name: 'alice' });
    expect(verified.access).toEqual([{ type: 'repository', name: 'alice/private', actions: ['pull', 'push'] }]);
  });

  it('gives another user nothing on a private repository, keeping the entry', async () => {
    const app = await appWith();
    expect(await grantedAccess(app, { auth: bob, scopes: ['repository:alice/private:pull,push'] })).toEqual([
      { type: 'repository', name: 'alice/private', actions: [] },
    ]);
  });

  it('gives anonymous pull, and only pull, on a public repository', async () => {
    const app = await appWith();
    const access = await grantedAccess(app, { scopes: ['repository:alice/public:pull,push'] });
    expect(access).toEqual([{ type: 'repository', name: 'alice/public', actions: ['pull'] }]);
    const token = (await requestToken(app, { scopes: ['repository:alice/public:pull'] })).json<TokenBody>().token;
    expect(decodeJwt(token).sub).toBe('(anonymous)');
  });

  it('gives anonymous nothing on a private repository', async () => {
    const app = await appWith();
    expect(await grantedAccess(app, { scopes: ['repository:alice/private:pull'] })).toEqual([
      { type: 'repository', name: 'alice/private', actions: [] },
    ]);
  });

  it('refuses anonymous requests when FEATURE_ANONYMOUS_ACCESS is off', async () => {
    const app = await appWith({ FEATURE_ANONYMOUS_ACCESS: false });
    const response = await requestToken(app, { scopes: ['repository:alice/public:pull'] });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ errors: [{ code: 'UNAUTHORIZED' }] });
  });

  it('grants * only to someone who holds it', async () => {
    const app = await appWith();
    expect(await grantedAccess(app, { auth: alice, scopes: ['repository:alice/private:*'] })).toEqual([
      { type: 'repository', name: 'alice/private', actions: ['*'] },
    ]);
    expect(await grantedAccess(app, { auth: bob, scopes: ['repository:alice/public:pull,*'] })).toEqual([
      { type: 'repository', name: 'alice/public', actions: ['pull'] },
    ]);
  });

  it('answers a wrong password or unknown user with 401 and OCI error JSON', async () => {
    const app = await appWith();
    for (const auth of [basicAuth('alice', 'wrong-password'), basicAuth('nobody', 'whatever1')]) {
      const response = await requestToken(app, { auth, scopes: ['repository:alice/public:pull'] });
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json()).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }] });
    }
  });

  it('answers a non-basic authorization header with 401', async () => {
    const app = await appWith();
    const response = await requestToken(app, { auth: 'Bearer something', scopes: ['repository:alice/public:pull'] });
    expect(response.statusCode).toBe(401);
  });

  it('answers no credentials and no scope with 401', async () => {
    const app = await appWith();
    const response = await requestToken(app, { service: HOST });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ errors: [{ code: 'UNAUTHORIZED' }] });
  });

  it('gives a login without scopes (docker login) a token with empty access', async () => {
    const app = await appWith();
    expect(await grantedAccess(app, { auth: alice, service: HOST })).toEqual([]);
  });

  it('handles several scopes, repeated and space-separated', async () => {
    const app = await appWith();
    const access = await grantedAccess(app, {
      auth: alice,
      scopes: ['repository:alice/private:pull repository:alice/public:push', 'repository:bob/other:pull'],
    });
    expect(access).toEqual([
      { type: 'repository', name: 'alice/private', actions: ['pull'] },
      { type: 'repository', name: 'alice/public', actions: ['push'] },
      { type: 'repository', name: 'bob/other', actions: [] },
    ]);
  });

  it('lets a user push a new repository in their own namespace only', async () => {
    const app = await appWith();
    expect(await grantedAccess(app, { auth: alice, scopes: ['repository:alice/new/nested:pull,push'] })).toEqual([
      { type: 'repository', name: 'alice/new/nested', actions: ['pull', 'push'] },
    ]);
    expect(await grantedAccess(app, { auth: bob, scopes: ['repository:alice/new:push'] })).toEqual([
      { type: 'repository', name: 'alice/new', actions: [] },
    ]);
  });

  it('resolves single-component names in the library namespace and keeps the requested name', async () => {
    const app = await appWith();
    expect(await grantedAccess(app, { scopes: ['repository:busybox:pull'] })).toEqual([
      { type: 'repository', name: 'busybox', actions: ['pull'] },
    ]);
  });

  it('strips our host prefix from scope names', async () => {
    const app = await appWith({ SERVER_HOSTNAME: 'quay.example.com' });
    expect(
      await grantedAccess(app, { auth: alice, scopes: ['repository:quay.example.com/alice/private:pull'] }),
    ).toEqual([{ type: 'repository', name: 'alice/private', actions: ['pull'] }]);
  });

  it('answers an invalid repository name with 400 NAME_INVALID', async () => {
    const app = await appWith();
    for (const scope of ['repository:alice/Bad_Name:pull', 'repository:other.example:5000/alice/app:pull']) {
      const response = await requestToken(app, { auth: alice, scopes: [scope] });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ errors: [{ code: 'NAME_INVALID' }] });
    }
    const noLibrary = await appWith({ FEATURE_LIBRARY_SUPPORT: false });
    const response = await requestToken(noLibrary, { scopes: ['repository:busybox:pull'] });
    expect(response.json()).toMatchObject({ errors: [{ code: 'NAME_INVALID' }] });
  });

  it('answers a malformed scope with 400', async () => {
    const app = await appWith();
    const response = await requestToken(app, { auth: alice, scopes: ['repository(plugin):alice/private:pull'] });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ errors: Array<{ message: string }> }>().errors[0]!.message).toMatch(/repository\(plugin\)/);
  });

  it('passes registry:catalog:* through for users, not for anonymous without a public catalog', async () => {
    const app = await appWith();
    expect(await grantedAccess(app, { auth: bob, scopes: ['registry:catalog:*'] })).toEqual([
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
    expect(await grantedAccess(app, { scopes: ['registry:catalog:*'] })).toEqual([
      { type: 'registry', name: 'catalog', actions: [] },
    ]);
    const publicCatalog = await appWith({ FEATURE_PUBLIC_CATALOG: true });
    expect(await grantedAccess(publicCatalog, { scopes: ['registry:catalog:*'] })).toEqual([
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ]);
  });

  it('uses SERVER_HOSTNAME as the audience, whatever service the client names', async () => {
    const app = await appWith({ SERVER_HOSTNAME: 'quay.example.com' });
    const response = await requestToken(app, { auth: alice, service: 'evil.example' });
    expect(decodeJwt(response.json<TokenBody>().token).aud).toBe('quay.example.com');
  });

  it('uses the Host header as the audience when SERVER_HOSTNAME is not set', async () => {
    const app = await appWith({ SERVER_HOSTNAME: undefined });
    const response = await requestToken(app, { auth: alice, service: 'localhost:1234', host: '10.0.0.7:8080' });
    const token = response.json<TokenBody>().token;
    expect(decodeJwt(token).aud).toBe('10.0.0.7:8080');
    await expect(tokens.verify(token, '10.0.0.7:8080')).resolves.toBeDefined();
  });
});
