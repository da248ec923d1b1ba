import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { userInitializeRoutes } from '../../src/api/user-initialize.js';
import { authenticateBasic } from '../../src/auth/credentials.js';
import { createRegistryTokens, type RegistryTokenService } from '../../src/auth/registry-jwt.js';
import type { QuaysideConfig } from '../../src/config/load.js';
import { createNamespace } from '../../src/model/namespaces.js';
import { verifyAccessToken } from '../../src/model/oauth-tokens.js';
import { countUsers, findUser } from '../../src/model/users.js';
import { tokenRoutes } from '../../src/registry/token-route.js';
import { testDialects } from '../helpers/databases.js';
import { basicAuth, openTestDatabase, type TestDatabase } from './support.js';

const HOST = 'quay.test';

describe.each(testDialects())('POST /api/v1/user/initialize (%s)', (dialect) => {
  let t: TestDatabase;
  let tokens: RegistryTokenService;
  let app: FastifyInstance;

  async function start(overrides: Partial<QuaysideConfig> = {}): Promise<void> {
    const config = { ...t.config, FEATURE_USER_INITIALIZE: true, ...overrides };
    app = Fastify();
    await userInitializeRoutes(app, { config, db: t.db, dialect: t.dialect });
    await tokenRoutes(app, { config, db: t.db, tokens, secrets: t.secrets, metrics: t.metrics });
  }

  function initialize(body: unknown) {
    return app.inject({ method: 'POST', url: '/api/v1/user/initialize', headers: { host: HOST }, payload: body as object });
  }

  beforeEach(async () => {
    t = await openTestDatabase(dialect);
    tokens = await createRegistryTokens(t);
  });
  afterEach(async () => {
    await app.close();
    await tokens.close();
    await t.close();
  });

  it('is refused when FEATURE_USER_INITIALIZE is off', async () => {
    await start({ FEATURE_USER_INITIALIZE: false });
    const response = await initialize({ username: 'admin', password: 'admin-password' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message: 'Cannot initialize user, FEATURE_USER_INITIALIZE is False' });
    expect(await countUsers(t.db)).toBe(0);
  });

  it('is refused when authentication is not Database', async () => {
    await start({ AUTHENTICATION_TYPE: 'LDAP' });
    const response = await initialize({ username: 'admin', password: 'admin-password' });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ message: string }>().message).toMatch(/non-database/);
    expect(await countUsers(t.db)).toBe(0);
  });

  it('creates the first user with a token that works as $oauthtoken on /v2/auth', async () => {
    await start();
    const response = await initialize({
      username: 'admin',
      password: 'admin-password',
      email: 'admin@example.com',
      access_token: true,
    });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<Record<string, unknown>>();
    expect(body).toMatchObject({ username: 'admin', email: 'admin@example.com' });
    expect(body).not.toHaveProperty('encrypted_password');
    expect(body['access_token']).toMatch(/^[A-Za-z0-9]{80}$/);
    const accessToken = body['access_token'] as string;

    const user = await findUser(t.db, 'admin');
    expect(user).toMatchObject({ kind: 'user', email: 'admin@example.com', enabled: 1, superuser: 0 });
    expect((await authenticateBasic(t, 'admin', 'admin-password')).principal).toMatchObject({ name: 'admin' });

    const verified = await verifyAccessToken(t.db, accessToken);
    expect(verified?.scopes.sort()).toEqual(
      ['org:admin', 'repo:admin', 'repo:create', 'repo:read', 'repo:write', 'super:user', 'user:admin', 'user:read'].sort(),
    );
    const application = await t.db.selectFrom('oauth_application').selectAll().executeTakeFirstOrThrow();
    expect(application).toMatchObject({ name: 'automation', client_id: 'admin', namespace_id: user!.id });

    const login = await app.inject({
      method: 'GET',
      url: '/v2/auth?scope=repository:admin/app:pull,push',
      headers: { host: HOST, authorization: basicAuth('$oauthtoken', accessToken) },
    });
    expect(login.statusCode, login.body).toBe(200);
    const registryToken = await tokens.verify(login.json<{ token: string }>().token, HOST);
    expect(registryToken.principal).toMatchObject({ kind: 'user', name: 'admin' });
    expect(registryToken.access).toEqual([{ type: 'repository', name: 'admin/app', actions: ['pull', 'push'] }]);
  });

  it('returns no token unless asked, and a null email when none was given', async () => {
    await start();
    const response = await initialize({ username: 'admin', password: 'admin-password' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ username: 'admin', email: null });
    expect(await t.db.selectFrom('oauth_access_token').selectAll().execute()).toHaveLength(0);
  });

  it('is refused once a user exists', async () => {
    await start();
    expect((await initialize({ username: 'admin', password: 'admin-password' })).statusCode).toBe(200);
    const second = await initialize({ username: 'other', password: 'other-password', access_token: true });
    expect(second.statusCode).toBe(400);
    expect(second.json()).toEqual({ message: 'Cannot initialize user in a non-empty database' });
    expect(await findUser(t.db, 'other')).toBeUndefined();
  });

  it('is refused when only an organization exists', async () => {
    await createNamespace(t.db, { name: 'acme', kind: 'organization', removedTagExpirationS: 0 });
    await start();
    expect((await initialize({ username: 'admin', password: 'admin-password' })).statusCode).toBe(400);
  });

  it('reports invalid input as 400 and creates nothing', async () => {
    await start();
    for (const body of [
      { username: 'admin', password: 'short' },
      { username: 'Not Valid', password: 'admin-password' },
      { username: 'admin', password: 'admin-password', email: 'not-an-email' },
      { username: 'admin' },
      {},
    ]) {
      const response = await initialize(body);
      expect(response.statusCode).toBe(400);
      expect(response.json<{ message: string }>().message).toMatch(/^Failed to initialize user: /);
    }
    expect(await countUsers(t.db)).toBe(0);
  });
});
