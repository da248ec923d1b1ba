import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, anonymousClient, expectApiError, expectStatus, sessionClient, tokenClient } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** GET|POST /api/v1/superuser/registrysize/: the bytes of every stored blob, each counted once. */

const PATH = '/api/v1/superuser/registrysize/';

describe.each(testDialects())('registry size (%s)', (dialect) => {
  let registry: TestRegistry;
  let root: ApiClient;
  let auditor: ApiClient;
  let alice: ApiClient;

  beforeAll(async () => {
    registry = await startTestRegistry({
      dialect,
      overrides: { SUPER_USERS: ['root'], GLOBAL_READONLY_SUPER_USERS: ['auditor'] },
    });
    await registry.createUser('root', 'root-password');
    await registry.createUser('auditor', 'auditor-password');
    await registry.createUser('alice', 'alice-password');
    root = await sessionClient(registry, 'root');
    auditor = await sessionClient(registry, 'auditor');
    alice = await sessionClient(registry, 'alice');
  });
  afterAll(async () => {
    await registry?.close();
  });

  it("answers Quay's shape: zero bytes for an empty registry", async () => {
    const res = await root.get(PATH);
    expectStatus(res, 200);
    expect(res.body).toEqual({ size_bytes: 0, last_ran: expect.any(Number), running: false, queued: false });
  });

  it('counts each blob once, however many repositories share it', async () => {
    const image = randomImage(2, 3000);
    const expected = image.blobs.reduce((total, blob) => total + blob.data.length, 0);
    const client = new RegistryClient(registry.url, basicAuth('alice', 'alice-password'));
    await client.pushImage('alice/one', 'latest', image);
    await client.pushImage('alice/two', 'latest', image);
    await client.pushImage('alice/one', 'again', image);

    const recalculated = await root.post(PATH);
    expectStatus(recalculated, 201);
    expect(recalculated.body).toMatchObject({ size_bytes: expected, running: false, queued: false });
    const res = await root.get(PATH);
    expect(res.body.size_bytes).toBe(expected);
    expect(res.body.last_ran).toBeGreaterThanOrEqual(recalculated.body.last_ran);
  });

  it('lets global read-only superusers read the size but not start a calculation', async () => {
    expectStatus(await auditor.get(PATH), 200);
    expectApiError(await auditor.post(PATH), 403);
  });

  it.each([
    ['GET', PATH],
    ['POST', PATH],
  ])('%s: 401 anonymous, 403 for a normal user and a token without super:user', async (method, path) => {
    expectApiError(await anonymousClient(registry).request(method, path, method === 'POST' ? {} : undefined), 401);
    expectApiError(await alice.request(method, path, method === 'POST' ? {} : undefined), 403);
    const token = await tokenClient(registry, 'root', ['user:admin']);
    expectApiError(await token.request(method, path, method === 'POST' ? {} : undefined), 403);
    expectStatus(await (await tokenClient(registry, 'root', ['super:user'])).request(method, path, method === 'POST' ? {} : undefined), method === 'POST' ? 201 : 200);
  });

  it('answers 404 for a misspelt path', async () => {
    expectStatus(await root.get('/api/v1/superuser/registrysizes/'), 404);
  });
});
