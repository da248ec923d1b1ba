import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loginWaitMs } from '../../src/model/login-backoff.js';
import { findNamespace } from '../../src/model/namespaces.js';
import { anonymousClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

describe('loginWaitMs', () => {
  const at = (attempts: number, lastMs: number | null) => ({ invalid_login_attempts: attempts, last_invalid_login: lastMs });

  it('lets the first five failures through, then doubles the wait up to an hour', () => {
    const now = 1_000_000_000;
    expect(loginWaitMs(at(0, null), now)).toBe(0);
    expect(loginWaitMs(at(4, now), now)).toBe(0);
    expect(loginWaitMs(at(5, now), now)).toBe(1000);
    expect(loginWaitMs(at(6, now), now)).toBe(2000);
    expect(loginWaitMs(at(9, now), now)).toBe(16_000);
    expect(loginWaitMs(at(40, now), now)).toBe(3_600_000);
    expect(loginWaitMs(at(6, now - 1500), now)).toBe(500);
    expect(loginWaitMs(at(6, now - 5000), now)).toBe(0);
  });
});

/** Repeated wrong passwords on /v2/ and the API slow further attempts down; a right one afterwards resets them. */
describe.each(testDialects())('failed sign-in back-off (%s)', (dialect) => {
  let registry: TestRegistry;
  let v2: RegistryClient;

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await registry.createUser('alice', 'alice-password');
    await registry.createUser('bob', 'bob-password');
    v2 = new RegistryClient(registry.url);
  });
  afterAll(() => registry.close());

  async function attempts(name: string): Promise<number> {
    return (await findNamespace(registry.ctx.db, name))!.invalid_login_attempts;
  }

  it('answers 429 TOOMANYREQUESTS once the free failures are spent, even for the right password', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await v2.as(basicAuth('alice', `wrong-${i}`)).get('/v2/')).status).toBe(401);
    }
    expect(await attempts('alice')).toBe(5);
    const locked = await v2.as(basicAuth('alice', 'alice-password')).get('/v2/');
    expect(locked.status, locked.describe()).toBe(429);
    expect(locked.json()).toMatchObject({ errors: [{ code: 'TOOMANYREQUESTS', message: expect.stringMatching(/try again in \d+ s/) }] });
    const signin = await anonymousClient(registry).post('/api/v1/signin', { username: 'alice', password: 'alice-password' });
    expect(signin.status, signin.describe()).toBe(429);
    // Other accounts are not affected.
    expect((await v2.as(basicAuth('bob', 'bob-password')).get('/v2/')).status).toBe(200);
  });

  it('lets the right password in after the wait, which resets the count', async () => {
    await registry.ctx.db
      .updateTable('namespace')
      .set({ last_invalid_login: Date.now() - 60_000 })
      .where('name', '=', 'alice')
      .execute();
    expect((await v2.as(basicAuth('alice', 'alice-password')).get('/v2/')).status).toBe(200);
    expect(await attempts('alice')).toBe(0);
  });
});
