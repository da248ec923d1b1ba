import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_ONLY_MESSAGE } from '../../src/errors.js';
import { anonymousClient, sessionClient } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** REGISTRY_STATE readonly on /api/v1: every write refused with Quay's message, reads and sign-in still work. */
describe.each(testDialects())('REGISTRY_STATE readonly on the API (%s)', (dialect) => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await registry.createUser('alice', 'alice-password');
    await new RegistryClient(registry.url).as(basicAuth('alice', 'alice-password')).pushImage('alice/app', 'v1', randomImage(1));
    registry.ctx.config.REGISTRY_STATE = 'readonly';
  });
  afterAll(() => registry.close());

  it.each([
    ['POST', '/api/v1/organization/', { name: 'acme' }],
    ['POST', '/api/v1/repository', { namespace: 'alice', repository: 'new', visibility: 'private', description: '' }],
    ['PUT', '/api/v1/repository/alice/app', { description: 'changed' }],
    ['DELETE', '/api/v1/repository/alice/app', undefined],
    ['PUT', '/api/v1/user/robots/bot', {}],
    ['POST', '/api/v1/user/apptoken', { title: 'ci' }],
  ])('%s %s answers 503 with the read-only message and changes nothing', async (method, path, body) => {
    const alice = await sessionClient(registry, 'alice');
    const res = await alice.request(method, path, body);
    expect(res.status, res.describe()).toBe(503);
    expect(res.body).toMatchObject({ error_message: READ_ONLY_MESSAGE, status: 503 });
    const repo = await alice.get('/api/v1/repository/alice/app');
    expect(repo.status).toBe(200);
    expect(repo.body.description ?? '').toBe('');
    expect((await alice.get('/api/v1/user/robots')).body.robots).toEqual([]);
  });

  it('still signs users in and serves reads', async () => {
    const signin = await anonymousClient(registry).post('/api/v1/signin', { username: 'alice', password: 'alice-password' });
    expect(signin.status).toBe(200);
    const alice = await sessionClient(registry, 'alice');
    expect((await alice.get('/api/v1/user/')).body.username).toBe('alice');
    const pulled = await new RegistryClient(registry.url).as(basicAuth('alice', 'alice-password')).getManifest('alice/app', 'v1');
    expect(pulled.status).toBe(200);
  });
});
