import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oauthToken } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** /v2/_catalog through the token flow: the token must grant the catalog, and OAuth scopes still cap what it lists. */
describe.each(testDialects())('catalog listing with registry tokens (%s)', (dialect) => {
  let registry: TestRegistry;
  let v2: RegistryClient;

  async function bearerFor(username: string, password: string, scope: string): Promise<string> {
    const res = await v2.as(basicAuth(username, password)).get(`/v2/auth?service=${registry.host}&scope=${scope}`);
    expect(res.status, res.describe()).toBe(200);
    return (res.json() as { token: string }).token;
  }

  async function catalogWith(token: string): Promise<{ status: number; repositories: string[] }> {
    const res = await v2.as({ bearer: token }).get('/v2/_catalog');
    return { status: res.status, repositories: res.status === 200 ? (res.json() as { repositories: string[] }).repositories : [] };
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await registry.createUser('alice', 'alice-password');
    v2 = new RegistryClient(registry.url);
    await v2.as(basicAuth('alice', 'alice-password')).pushImage('alice/secret', 'v1', randomImage(1));
  });
  afterAll(() => registry.close());

  it('lists the private repositories of a password-authenticated user', async () => {
    const token = await bearerFor('alice', 'alice-password', 'registry:catalog:*');
    expect(await catalogWith(token)).toEqual({ status: 200, repositories: ['alice/secret'] });
  });

  it('lists nothing private for an OAuth token without a repository scope, and lists it with repo:read', async () => {
    const userOnly = await bearerFor('$oauthtoken', await oauthToken(registry, 'alice', ['user:read']), 'registry:catalog:*');
    expect(await catalogWith(userOnly)).toEqual({ status: 200, repositories: [] });
    const reader = await bearerFor('$oauthtoken', await oauthToken(registry, 'alice', ['repo:read']), 'registry:catalog:*');
    expect(await catalogWith(reader)).toEqual({ status: 200, repositories: ['alice/secret'] });
  });

  it('refuses a token that was not issued for the catalog', async () => {
    const token = await bearerFor('alice', 'alice-password', 'repository:alice/secret:pull');
    expect((await catalogWith(token)).status).toBe(401);
  });
});
