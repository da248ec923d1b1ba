import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymousClient, ApiClient, oauthToken, sessionClient } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/**
 * Nothing the registry logs, even at trace level, contains a password or token: exercise every
 * kind of credential (right and wrong), and every response that hands one out, then search the log.
 */

const ALICE_PASSWORD = 'alice-secret-password';
const WRONG_PASSWORD = 'not-alices-password-42';
const NEW_PASSWORD = 'alice-new-secret-password';

describe('secrets stay out of the logs', () => {
  let registry: TestRegistry;
  const lines: string[] = [];
  const secrets = new Set<string>([ALICE_PASSWORD, WRONG_PASSWORD, NEW_PASSWORD]);

  beforeAll(async () => {
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    registry = await startTestRegistry({ overrides: { SUPER_USERS: ['root'] }, log: { level: 'trace', destination } });
    await registry.createUser('alice', ALICE_PASSWORD);
    await registry.createUser('root', 'root-secret-password');
    secrets.add('root-secret-password');
  });

  afterAll(() => registry.close());

  it('logs requests but no credential of any kind', async () => {
    const anonymousApi = anonymousClient(registry);
    const signin = await anonymousApi.post('/api/v1/signin', { username: 'alice', password: ALICE_PASSWORD });
    expect(signin.status).toBe(200);
    expect((await anonymousApi.post('/api/v1/signin', { username: 'alice', password: WRONG_PASSWORD })).status).toBe(403);
    const cookie = /quayside_session=([^;]+)/.exec(signin.headers.get('set-cookie') ?? '')?.[1];
    expect(cookie).toBeDefined();
    secrets.add(cookie!);

    const alice = await sessionClient(registry, 'alice');
    const app = await alice.post('/api/v1/user/apptoken', { title: 'ci' });
    expect(app.status).toBe(200);
    secrets.add(app.body.token.token_code);
    const robot = await alice.put('/api/v1/user/robots/builder', { description: 'ci robot' });
    expect(robot.status).toBe(201);
    secrets.add(robot.body.token);
    const oauth = await oauthToken(registry, 'alice', ['repo:read', 'user:read']);
    secrets.add(oauth);
    expect((await alice.put('/api/v1/user/', { password: NEW_PASSWORD })).status).toBe(200);

    const root = await sessionClient(registry, 'root');
    const created = await root.post('/api/v1/superuser/users/', { username: 'carol', email: 'carol@example.org' });
    expect(created.status).toBe(200);
    secrets.add(created.body.password);
    secrets.add(created.body.encrypted_password);

    const v2 = new RegistryClient(registry.url);
    const asAlice = v2.as(basicAuth('alice', NEW_PASSWORD));
    await asAlice.pushImage('alice/app', 'v1', randomImage(1));
    expect((await v2.as(basicAuth('alice', WRONG_PASSWORD)).getManifest('alice/app', 'v1')).status).toBe(401);
    expect((await v2.as(basicAuth('$app', app.body.token.token_code)).getManifest('alice/app', 'v1')).status).toBe(200);
    expect((await v2.as(basicAuth('$oauthtoken', oauth)).getManifest('alice/app', 'v1')).status).toBe(200);
    expect((await v2.as(basicAuth('alice+builder', robot.body.token)).getManifest('alice/app', 'v1')).status).toBe(403);
    const tokenResponse = await v2
      .as(basicAuth('alice', NEW_PASSWORD))
      .get(`/v2/auth?service=${registry.host}&scope=repository:alice/app:pull`);
    expect(tokenResponse.status).toBe(200);
    const jwt = (tokenResponse.json() as { token: string }).token;
    secrets.add(jwt);
    expect((await v2.as({ bearer: jwt }).getManifest('alice/app', 'v1')).status).toBe(200);
    expect((await new ApiClient(registry.url, { bearer: oauth }).get('/api/v1/user/')).status).toBe(200);
    expect((await new ApiClient(registry.url, { bearer: `${oauth.slice(0, 40)}x`.padEnd(80, 'y') }).get('/api/v1/user/')).status).toBe(401);

    // Basic credentials travel base64-encoded in the Authorization header.
    for (const pair of [`alice:${NEW_PASSWORD}`, `alice:${WRONG_PASSWORD}`, `$oauthtoken:${oauth}`]) {
      secrets.add(Buffer.from(pair, 'utf8').toString('base64'));
    }
    const log = lines.join('');
    expect(log).toContain('incoming request');
    expect(log).toContain('/v2/alice/app/manifests/v1');
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(8);
      expect(log.includes(secret), `a secret of ${secret.length} characters appears in the log`).toBe(false);
    }
  });
});
