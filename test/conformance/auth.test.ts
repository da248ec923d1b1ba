import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBlob, randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { basicAuth, parseChallenge } from '../helpers/http.js';
import {
  ALICE,
  asRecord,
  type ConformanceEnv,
  expectChallenge,
  expectOciError,
  expectStatus,
  jwtPayload,
  startConformanceEnv,
} from './support.js';

/** Authentication on /v2/: challenges, basic auth, the token flow, visibility. */

describe.each(testDialects())('auth (%s)', (dialect) => {
  let env: ConformanceEnv;
  beforeAll(async () => {
    env = await startConformanceEnv(dialect);
  });
  afterAll(async () => {
    await env?.close();
  });

  describe('base endpoint /v2/', () => {
    it('without credentials: 401 UNAUTHORIZED with a Bearer challenge naming /v2/auth', async () => {
      const res = await env.anonymous.get('/v2/');
      expectChallenge(res, env.registry.host);
    });

    it('with basic auth: 200', async () => {
      const res = await env.alice.get('/v2/');
      expectStatus(res, 200);
      const version = res.header('docker-distribution-api-version');
      if (version !== null) expect(version).toBe('registry/2.0');
    });

    it('with a wrong password or an unknown user: 401', async () => {
      expectOciError(await env.anonymous.as(basicAuth('alice', 'wrong-password')).get('/v2/'), 401, 'UNAUTHORIZED');
      expectOciError(await env.anonymous.as(basicAuth('nobody', 'whatever-123')).get('/v2/'), 401, 'UNAUTHORIZED');
    });

    it('with a garbage bearer token: 401', async () => {
      expectOciError(await env.anonymous.as({ bearer: 'not.a.token' }).get('/v2/'), 401, 'UNAUTHORIZED');
    });

    it('HEAD /v2/ answers like GET without a body', async () => {
      const res = await env.alice.head('/v2/');
      expectStatus(res, 200);
      expect(res.body.length).toBe(0);
    });
  });

  describe('challenges on repository routes', () => {
    it('pull routes challenge with scope repository:<name>:pull', async () => {
      const repo = env.repo('chal');
      await env.alice.pushImage(repo, 'v1', randomImage(1));
      expectChallenge(await env.anonymous.getManifest(repo, 'v1'), env.registry.host, `repository:${repo}:pull`);
      expectChallenge(await env.anonymous.get(`/v2/${repo}/tags/list`), env.registry.host, `repository:${repo}:pull`);
    });

    it('push routes challenge with scope repository:<name>:pull,push', async () => {
      const repo = env.repo('chalpush');
      const res = await env.anonymous.startUpload(repo);
      expectChallenge(res, env.registry.host, `repository:${repo}:pull,push`);
      const image = randomImage(1);
      const put = await env.anonymous.putManifest(repo, 'v1', image.manifest);
      expectChallenge(put, env.registry.host, `repository:${repo}:pull,push`);
    });
  });

  describe('token flow', () => {
    it('a challenge can be followed to a token that pushes and pulls', async () => {
      const repo = env.repo('tokenflow');
      const challenge = parseChallenge(
        (await env.anonymous.startUpload(repo)).header('www-authenticate'),
      )!;
      const url = new URL(challenge.params['realm']!);
      url.searchParams.set('service', challenge.params['service']!);
      url.searchParams.set('scope', challenge.params['scope']!);
      const tokenRes = await env.anonymous.get(url.toString(), { auth: basicAuth(ALICE.username, ALICE.password) });
      expectStatus(tokenRes, 200);
      expect(tokenRes.header('content-type')).toMatch(/^application\/json\b/);
      const body = asRecord(tokenRes.json());
      expect(typeof body['token']).toBe('string');
      if ('access_token' in body) expect(body['access_token']).toBe(body['token']);
      const payload = jwtPayload(body['token'] as string);
      expect(payload['access']).toEqual([{ type: 'repository', name: repo, actions: ['pull', 'push'] }]);
      expect(payload['aud']).toBe(env.registry.host);

      const client = env.anonymous.as({ bearer: body['token'] as string });
      const image = randomImage(2);
      const put = await client.pushImage(repo, 'v1', image);
      expect(put.header('docker-content-digest')).toBe(image.manifest.digest);
      const get = await client.getManifest(repo, 'v1');
      expectStatus(get, 200);
      expect(get.body.equals(image.manifest.bytes)).toBe(true);
      expectStatus(await client.get('/v2/'), 200);
    });

    it('a pull-only token cannot push', async () => {
      const repo = env.repo('pullonly');
      await env.alice.pushImage(repo, 'v1', randomImage(1));
      const client = await env.alice.withToken([`repository:${repo}:pull`]);
      expectStatus(await client.getManifest(repo, 'v1'), 200);
      const post = await client.startUpload(repo);
      expectOciError(post, [401, 403], ['UNAUTHORIZED', 'DENIED']);
    });

    it('a token for repository A cannot push or pull repository B of the same owner', async () => {
      const repoA = env.repo('tokena');
      const repoB = env.repo('tokenb');
      await env.alice.pushImage(repoB, 'v1', randomImage(1));
      const client = await env.alice.withToken([`repository:${repoA}:pull,push`]);
      await client.pushBlob(repoA, randomBlob());
      const push = await client.startUpload(repoB);
      // Docker's token model: 401 with a challenge for the scope the request needs.
      expectChallenge(push, env.registry.host, `repository:${repoB}:pull,push`);
      const pull = await client.getManifest(repoB, 'v1');
      expectChallenge(pull, env.registry.host, `repository:${repoB}:pull`);
    });

    it('a token for several scopes grants each of them', async () => {
      const repoA = env.repo('multia');
      const repoB = env.repo('multib');
      const client = await env.alice.withToken([`repository:${repoA}:pull,push`, `repository:${repoB}:pull,push`]);
      await client.pushBlob(repoA, randomBlob());
      await client.pushBlob(repoB, randomBlob());
    });

    it('asking for another user\'s repository yields a token without access to it', async () => {
      const bobRepo = env.repo('bobs', 'bob');
      await env.bob.pushImage(bobRepo, 'v1', randomImage(1));
      const tokenRes = await env.alice.tokenRequest([`repository:${bobRepo}:pull,push`]);
      expectStatus(tokenRes, 200);
      const token = asRecord(tokenRes.json())['token'] as string;
      const access = jwtPayload(token)['access'];
      const granted = Array.isArray(access) ? access.flatMap((a) => asRecord(a)['actions'] as string[]) : [];
      expect(granted).toEqual([]);
      const client = env.anonymous.as({ bearer: token });
      expectOciError(await client.getManifest(bobRepo, 'v1'), [401, 403], ['UNAUTHORIZED', 'DENIED']);
      expectOciError(await client.startUpload(bobRepo), [401, 403], ['UNAUTHORIZED', 'DENIED']);
    });

    it('a token for another user\'s public repository is down-scoped to pull', async () => {
      const bobRepo = env.repo('bobpublic', 'bob');
      await env.bob.pushImage(bobRepo, 'v1', randomImage(1));
      await env.makePublic(bobRepo);
      const token = await env.alice.token([`repository:${bobRepo}:pull,push`]);
      expect(jwtPayload(token)['access']).toEqual([{ type: 'repository', name: bobRepo, actions: ['pull'] }]);
      const client = env.anonymous.as({ bearer: token });
      expectStatus(await client.getManifest(bobRepo, 'v1'), 200);
      expectChallenge(await client.startUpload(bobRepo), env.registry.host, `repository:${bobRepo}:pull,push`);
    });

    it('wrong credentials on /v2/auth are 401', async () => {
      const res = await env.anonymous.tokenRequest([`repository:alice/x:pull`], basicAuth('alice', 'nope-nope-1'));
      expect(res.status, res.describe()).toBe(401);
    });

    it('an anonymous token request for a private repository grants nothing', async () => {
      const repo = env.repo('anontoken');
      await env.alice.pushImage(repo, 'v1', randomImage(1));
      const res = await env.anonymous.tokenRequest([`repository:${repo}:pull`], null);
      if (res.status === 200) {
        const token = asRecord(res.json())['token'] as string;
        const client = env.anonymous.as({ bearer: token });
        expectOciError(await client.getManifest(repo, 'v1'), 401, 'UNAUTHORIZED');
      } else {
        expect(res.status, res.describe()).toBe(401);
      }
    });

    it('a token always carries this registry as its audience, whatever service was asked for', async () => {
      const res = await env.alice.tokenRequest([`repository:alice/x:pull`], env.alice.auth, 'other.example.com');
      if (res.status !== 200) {
        expect(res.status, res.describe()).toBe(400); // refusing a foreign service is fine too
        return;
      }
      const token = asRecord(res.json())['token'] as string;
      expect(jwtPayload(token)['aud']).toBe(env.registry.host);
    });
  });

  describe('visibility', () => {
    it('anonymous users pull a public repository but cannot push to it', async () => {
      const repo = env.repo('public');
      const image = randomImage(1);
      await env.alice.pushImage(repo, 'v1', image);
      await env.makePublic(repo);
      const get = await env.anonymous.getManifest(repo, 'v1');
      expectStatus(get, 200);
      expect(get.body.equals(image.manifest.bytes)).toBe(true);
      const blob = await env.anonymous.get(`/v2/${repo}/blobs/${image.blobs[1]!.digest}`);
      expectStatus(blob, 200);
      expect(blob.body.equals(image.blobs[1]!.data)).toBe(true);
      expectStatus(await env.anonymous.get(`/v2/${repo}/tags/list`), 200);
      expectChallenge(await env.anonymous.startUpload(repo), env.registry.host, `repository:${repo}:pull,push`);
      // The anonymous token flow works for public pulls too.
      const tokenRes = await env.anonymous.tokenRequest([`repository:${repo}:pull`], null);
      expectStatus(tokenRes, 200);
      const client = env.anonymous.as({ bearer: asRecord(tokenRes.json())['token'] as string });
      expectStatus(await client.getManifest(repo, 'v1'), 200);
    });

    it('another user can pull a public repository but not push to it', async () => {
      const repo = env.repo('public2');
      await env.alice.pushImage(repo, 'v1', randomImage(1));
      await env.makePublic(repo);
      expectStatus(await env.bob.getManifest(repo, 'v1'), 200);
      expectOciError(await env.bob.startUpload(repo), [401, 403], ['DENIED', 'UNAUTHORIZED']);
    });

    it('a private repository is invisible to another user', async () => {
      const repo = env.repo('private');
      const image = randomImage(1);
      await env.alice.pushImage(repo, 'v1', image);
      const manifest = await env.bob.getManifest(repo, 'v1');
      expectOciError(manifest, [401, 403, 404], ['DENIED', 'UNAUTHORIZED', 'NAME_UNKNOWN']);
      const blob = await env.bob.get(`/v2/${repo}/blobs/${image.blobs[0]!.digest}`);
      expectOciError(blob, [401, 403, 404], ['DENIED', 'UNAUTHORIZED', 'NAME_UNKNOWN', 'BLOB_UNKNOWN']);
      const tags = await env.bob.get(`/v2/${repo}/tags/list`);
      expectOciError(tags, [401, 403, 404], ['DENIED', 'UNAUTHORIZED', 'NAME_UNKNOWN']);
      // The answer for an existing private repository equals the one for a missing repository.
      const missing = await env.bob.getManifest(env.repo('never'), 'v1');
      expect(missing.status).toBe(manifest.status);
    });

    it('a user cannot push into another user\'s namespace', async () => {
      const repo = env.repo('intruder', 'bob');
      const res = await env.alice.startUpload(repo);
      expectOciError(res, [401, 403], ['DENIED', 'UNAUTHORIZED']);
      const image = randomImage(1);
      expectOciError(await env.alice.putManifest(repo, 'v1', image.manifest), [401, 403], ['DENIED', 'UNAUTHORIZED']);
    });

    it('a push to one\'s own namespace creates a private repository', async () => {
      const repo = env.repo('newprivate');
      await env.alice.pushImage(repo, 'v1', randomImage(1));
      const row = await env.registry.ctx.db
        .selectFrom('repository')
        .innerJoin('namespace', 'namespace.id', 'repository.namespace_id')
        .select(['repository.visibility'])
        .where('namespace.name', '=', 'alice')
        .where('repository.name', '=', repo.slice('alice/'.length))
        .executeTakeFirstOrThrow();
      expect(row.visibility).toBe('private');
    });
  });
});
