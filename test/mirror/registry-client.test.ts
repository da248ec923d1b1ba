import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAuthenticate, tokenFromResponse } from '../../src/mirror/auth-challenge.js';
import { bypassesProxy } from '../../src/mirror/http-dispatcher.js';
import { MAX_REMOTE_TAGS, openPushTarget, openRemoteRepository } from '../../src/mirror/registry-client.js';
import { type RemoteEndpointOptions, RemoteRegistryError, type RemoteRepository } from '../../src/mirror/remote.js';
import { expectStatus, sessionClient } from '../helpers/api.js';
import { requireClient, runOk } from '../helpers/clients.js';
import { type Distribution, distributionAvailable, startDistribution } from '../helpers/distribution.js';
import { freePort } from '../helpers/free-port.js';
import { createImageLayout, type LayoutImage, MEDIA_TYPES, sha256Digest } from '../helpers/oci-layout.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/**
 * Our registry client against real registries on 127.0.0.1: CNCF Distribution (anonymous, htpasswd,
 * TLS from a test CA), Quayside itself (Bearer tokens from its token endpoint, pushes as a robot),
 * an in-test HTTP proxy, and a small server that answers malformed things.
 */

const skopeo = requireClient('skopeo');
const canRun = distributionAvailable() && skopeo !== undefined;
const PASSWORD = 'mirror-Pa55word!';

async function failureOf(promise: Promise<unknown>): Promise<RemoteRegistryError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof RemoteRegistryError) return err;
    throw err;
  }
  throw new Error('expected a RemoteRegistryError, but the call succeeded');
}

async function streamDigest(stream: Readable): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/** Opens a client, runs `use`, closes it. */
async function withRepository<T>(options: RemoteEndpointOptions, repository: string, use: (repo: RemoteRepository) => Promise<T>, pageSize?: number): Promise<T> {
  const repo = openRemoteRepository(options, repository, pageSize === undefined ? {} : { tagPageSize: pageSize });
  try {
    return await use(repo);
  } finally {
    await repo.close();
  }
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: http.Server | https.Server | undefined): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** A forward proxy: absolute-URI requests for http:// targets, CONNECT tunnels for https://. Records what it was asked. */
function startProxy(): { server: http.Server; seen: string[] } {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    const upstream = http.request(req.url!, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host!, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  return { server, seen };
}

describe.skipIf(!canRun)('registry client', () => {
  let work: string;
  let image: LayoutImage;
  const manifestDigest = () => image.image.manifestDescriptor.digest;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'quayside-registry-client-'));
    image = await createImageLayout(path.join(work, 'image'), { seed: 'registry-client', tag: 'v1' });
  });

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe('against Distribution without authentication', () => {
    let dist: Distribution;
    const TAGS = ['latest', 'v1', 'v2', 'v3', 'v3.1'];
    const options = (extra: Partial<RemoteEndpointOptions> = {}): RemoteEndpointOptions => ({ registry: dist.host, verifyTls: false, ...extra });

    beforeAll(async () => {
      dist = await startDistribution();
      for (const tag of TAGS) {
        await runOk(skopeo!, ['copy', '--preserve-digests', ...dist.skopeoDestFlags(), image.ref, `docker://${dist.host}/library/app:${tag}`]);
      }
    });

    afterAll(async () => {
      await dist?.stop();
    });

    it('lists every tag, following the Link pagination', async () => {
      expect((await withRepository(options(), 'library/app', (repo) => repo.listTags())).sort()).toEqual(TAGS);
      // Two tags a page: three pages.
      expect((await withRepository(options(), 'library/app', (repo) => repo.listTags(), 2)).sort()).toEqual(TAGS);
    });

    it('gets a manifest by tag and by digest with the digest skopeo sees', async () => {
      const inspected = JSON.parse((await runOk(skopeo!, ['inspect', '--tls-verify=false', `docker://${dist.host}/library/app:v2`])).stdout) as { Digest: string };
      await withRepository(options(), 'library/app', async (repo) => {
        const byTag = await repo.getManifest('v2', 1024 * 1024);
        expect(byTag.digest).toBe(inspected.Digest);
        expect(byTag.digest).toBe(manifestDigest());
        expect(byTag.mediaType).toBe(MEDIA_TYPES.ociManifest);
        expect(byTag.bytes).toEqual(image.image.manifest);
        const byDigest = await repo.getManifest(inspected.Digest, 1024 * 1024);
        expect(byDigest.bytes).toEqual(byTag.bytes);
      });
    });

    it('streams blobs whose content matches their digest', async () => {
      await withRepository(options(), 'library/app', async (repo) => {
        for (const layer of [...image.image.layers, image.image.configDescriptor]) {
          const blob = await repo.openBlob(layer.digest);
          expect(blob.size).toBe(layer.size);
          expect(await streamDigest(blob.stream)).toEqual({ digest: layer.digest, size: layer.size });
        }
      });
    });

    it('answers not_found for unknown tags, blobs and repositories', async () => {
      await withRepository(options(), 'library/app', async (repo) => {
        const tag = await failureOf(repo.getManifest('nope', 1024));
        expect(tag.failure).toBe('not_found');
        expect(tag.message).toMatch(new RegExp(`manifest nope of library/app not found on ${dist.host}`));
        const blob = await failureOf(repo.openBlob(`sha256:${'0'.repeat(64)}`));
        expect(blob.failure).toBe('not_found');
      });
      const repo = await failureOf(withRepository(options(), 'library/missing', (r) => r.listTags()));
      expect(repo.failure).toBe('not_found');
      expect(repo.message).toContain('library/missing');
    });

    it('falls back to plain HTTP only when TLS verification is off', async () => {
      expect(await withRepository(options({ verifyTls: false }), 'library/app', (repo) => repo.listTags())).toHaveLength(TAGS.length);
      const strict = await failureOf(withRepository(options({ verifyTls: true }), 'library/app', (repo) => repo.listTags()));
      expect(strict.failure).toBe('tls');
      expect(strict.message).toMatch(new RegExp(`TLS: handshake with ${dist.host} failed .*may not speak HTTPS`));
    });

    it('refuses a loopback registry under an SSRF policy that does not list it', async () => {
      const refused = await failureOf(withRepository(options({ ssrfAllowedHosts: [] }), 'library/app', (repo) => repo.listTags()));
      expect(refused.failure).toBe('refused');
      expect(refused.message).toContain('SSRF_ALLOWED_HOSTS');
      const byName = await failureOf(withRepository(options({ registry: dist.host.replace('127.0.0.1', 'localhost'), ssrfAllowedHosts: [] }), 'library/app', (repo) => repo.listTags()));
      expect(byName.failure).toBe('refused');
      expect(await withRepository(options({ ssrfAllowedHosts: ['127.0.0.1'] }), 'library/app', (repo) => repo.listTags())).toHaveLength(TAGS.length);
      expect(await withRepository(options({ ssrfAllowedHosts: ['127.0.0.0/8'] }), 'library/app', (repo) => repo.listTags())).toHaveLength(TAGS.length);
    });

    it('goes through the http_proxy for http:// targets, and around it for no_proxy hosts', async () => {
      const { server, seen } = startProxy();
      const port = await listen(server);
      try {
        const proxy = { http_proxy: `http://127.0.0.1:${port}`, https_proxy: null, no_proxy: null };
        // The https:// attempt goes direct (no https_proxy) and finds no TLS; the plain-http fallback takes the proxy.
        const tags = await withRepository(options({ proxy }), 'library/app', (repo) => repo.listTags());
        expect(tags).toHaveLength(TAGS.length);
        expect(seen).toContain(`GET http://${dist.host}/v2/library/app/tags/list?n=1000`);
        const before = seen.length;
        await withRepository(options({ proxy: { ...proxy, no_proxy: 'example.com, 127.0.0.1' } }), 'library/app', (repo) => repo.listTags());
        expect(seen.length).toBe(before);
        // Under an SSRF policy the proxy must be allowed too.
        const refused = await failureOf(withRepository(options({ proxy, ssrfAllowedHosts: [] }), 'library/app', (repo) => repo.listTags()));
        expect(refused.failure).toBe('refused');
      } finally {
        await closeServer(server);
      }
    });

    it('says which host could not be reached', async () => {
      const port = await freePort();
      const failure = await failureOf(withRepository(options({ registry: `127.0.0.1:${port}` }), 'library/app', (repo) => repo.listTags()));
      expect(failure.failure).toBe('unreachable');
      expect(failure.message).toBe(`cannot reach 127.0.0.1:${port}: connection refused`);
    });
  });

  describe('against Distribution with htpasswd and TLS from a test CA', () => {
    let dist: Distribution;
    const credentials = { username: 'bob', password: PASSWORD };
    const options = (extra: Partial<RemoteEndpointOptions> = {}): RemoteEndpointOptions => ({
      registry: dist.host,
      verifyTls: true,
      extraCaPems: [dist.caPem!],
      credentials,
      ...extra,
    });

    beforeAll(async () => {
      dist = await startDistribution({ auth: credentials, tls: true });
      await runOk(skopeo!, ['copy', '--preserve-digests', ...dist.skopeoDestFlags(), image.ref, `docker://${dist.host}/team/app:v1`]);
    });

    afterAll(async () => {
      await dist?.stop();
    });

    it('reads with the right credentials, verifying the certificate against the extra CA', async () => {
      await withRepository(options(), 'team/app', async (repo) => {
        expect(await repo.listTags()).toEqual(['v1']);
        expect((await repo.getManifest('v1', 1024 * 1024)).digest).toBe(manifestDigest());
        const layer = image.image.layers[0]!;
        expect((await streamDigest((await repo.openBlob(layer.digest)).stream)).digest).toBe(layer.digest);
      });
    });

    it('answers unauthorized for wrong or missing credentials', async () => {
      const wrong = await failureOf(withRepository(options({ credentials: { username: 'bob', password: 'wrong' } }), 'team/app', (repo) => repo.listTags()));
      expect(wrong.failure).toBe('unauthorized');
      expect(wrong.message).toBe(`${dist.host} refused the credentials for user bob (401)`);
      expect(wrong.message).not.toContain('wrong');
      const none = await failureOf(withRepository(options({ credentials: undefined }), 'team/app', (repo) => repo.listTags()));
      expect(none.failure).toBe('unauthorized');
      expect(none.message).toContain(`${dist.host} requires credentials`);
    });

    it('refuses the untrusted certificate when verifying without the CA, and accepts it with verification off', async () => {
      const untrusted = await failureOf(withRepository(options({ extraCaPems: [] }), 'team/app', (repo) => repo.listTags()));
      expect(untrusted.failure).toBe('tls');
      expect(untrusted.message).toMatch(new RegExp(`^TLS: certificate of ${dist.host} is not trusted \\(.+\\)$`));
      expect(await withRepository(options({ extraCaPems: [], verifyTls: false }), 'team/app', (repo) => repo.listTags())).toEqual(['v1']);
    });

    it('tunnels https:// targets through the https_proxy with CONNECT', async () => {
      const { server, seen } = startProxy();
      const port = await listen(server);
      try {
        const proxy = { http_proxy: null, https_proxy: `127.0.0.1:${port}`, no_proxy: '' };
        expect(await withRepository(options({ proxy }), 'team/app', (repo) => repo.listTags())).toEqual(['v1']);
        expect(seen).toContain(`CONNECT ${dist.host}`);
      } finally {
        await closeServer(server);
      }
    });
  });

  describe('against Quayside (Bearer tokens, pushes as a robot)', () => {
    let registry: TestRegistry;
    let robotToken: string;
    const alice = { username: 'alice', password: PASSWORD };
    const options = (extra: Partial<RemoteEndpointOptions> = {}): RemoteEndpointOptions => ({ registry: registry.host, verifyTls: false, credentials: alice, ...extra });

    beforeAll(async () => {
      registry = await startTestRegistry();
      await registry.createUser('alice', PASSWORD, { email: 'alice@example.com' });
      await runOk(skopeo!, ['copy', '--preserve-digests', '--dest-tls-verify=false', '--dest-creds', `alice:${PASSWORD}`, image.ref, `docker://${registry.host}/alice/private:v1`]);
      const api = await sessionClient(registry, 'alice');
      const robot = await api.put('/api/v1/user/robots/mirror', {});
      expectStatus(robot, 201);
      robotToken = robot.body.token as string;
      for (const repository of ['target', 'mounted']) {
        expectStatus(await api.post('/api/v1/repository', { repository, visibility: 'private', description: '' }), 201);
        expectStatus(await api.put(`/api/v1/repository/alice/${repository}/permissions/user/alice+mirror`, { role: 'write' }));
      }
      expectStatus(await api.put('/api/v1/repository/alice/private/permissions/user/alice+mirror', { role: 'read' }));
    });

    afterAll(async () => {
      await registry?.close();
    });

    it('pulls a private repository with a token from the registry token endpoint', async () => {
      await withRepository(options(), 'alice/private', async (repo) => {
        expect(await repo.listTags()).toEqual(['v1']);
        const manifest = await repo.getManifest('v1', 1024 * 1024);
        expect(manifest.digest).toBe(manifestDigest());
        const byDigest = await repo.getManifest(manifest.digest, 1024 * 1024);
        expect(byDigest.mediaType).toBe(MEDIA_TYPES.ociManifest);
        const config = image.image.configDescriptor;
        expect(await streamDigest((await repo.openBlob(config.digest)).stream)).toEqual({ digest: config.digest, size: config.size });
      });
    });

    it('answers unauthorized anonymously and with a wrong password', async () => {
      const anonymous = await failureOf(withRepository(options({ credentials: undefined }), 'alice/private', (repo) => repo.listTags()));
      expect(anonymous.failure).toBe('unauthorized');
      expect(anonymous.message).toBe(`${registry.host} requires credentials to pull alice/private (401)`);
      const wrong = await failureOf(withRepository(options({ credentials: { username: 'alice', password: 'not-it' } }), 'alice/private', (repo) => repo.listTags()));
      expect(wrong.failure).toBe('unauthorized');
      expect(wrong.message).toContain('refused the credentials for user alice');
    });

    it('pushes blobs and a manifest as a robot, and mounts blobs between repositories', async () => {
      const robot = options({ credentials: { username: 'alice+mirror', password: robotToken } });
      const source = openRemoteRepository(robot, 'alice/private');
      const target = openPushTarget(robot, 'alice/target');
      try {
        const manifest = await source.getManifest('v1', 1024 * 1024);
        for (const blob of [image.image.configDescriptor, ...image.image.layers]) {
          expect(await target.hasBlob(blob.digest)).toBe(false);
          const opened = await source.openBlob(blob.digest);
          await target.pushBlob(blob.digest, blob.size, opened.stream);
          expect(await target.hasBlob(blob.digest)).toBe(true);
        }
        await target.putManifest('mirrored', manifest);
      } finally {
        await source.close();
        await target.close();
      }
      const inspected = JSON.parse(
        (await runOk(skopeo!, ['inspect', '--tls-verify=false', '--creds', `alice:${PASSWORD}`, `docker://${registry.host}/alice/target:mirrored`])).stdout,
      ) as { Digest: string; Layers: string[] };
      expect(inspected.Digest).toBe(manifestDigest());
      expect(inspected.Layers).toEqual(image.image.layers.map((layer) => layer.digest));

      const mounted = openPushTarget(robot, 'alice/mounted');
      try {
        const layer = image.image.layers[0]!;
        expect(await mounted.mountBlob(layer.digest, 'alice/target')).toBe(true);
        expect(await mounted.hasBlob(layer.digest)).toBe(true);
        expect(await mounted.mountBlob(`sha256:${'1'.repeat(64)}`, 'alice/target')).toBe(false);
      } finally {
        await mounted.close();
      }
    });

    it('refuses a push without write permission', async () => {
      const reader = openPushTarget(options({ credentials: { username: 'alice+mirror', password: robotToken } }), 'alice/private');
      try {
        const blob = Buffer.from('not allowed');
        const failure = await failureOf(reader.pushBlob(sha256Digest(blob), blob.length, Readable.from([blob])));
        expect(failure.failure).toBe('unauthorized');
        expect(failure.message).toContain('alice+mirror');
        expect(failure.message).not.toContain(robotToken);
      } finally {
        await reader.close();
      }
    });
  });
});

describe('registry client against a server that answers malformed things', () => {
  let server: http.Server;
  let storage: http.Server;
  let host: string;
  let storagePort: number;
  const storageAuthorization: (string | undefined)[] = [];
  const sameOriginAuthorization: (string | undefined)[] = [];
  const served = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}');
  const credentials = { username: 'carol', password: 'carol-secret' };
  const basic = `Basic ${Buffer.from('carol:carol-secret').toString('base64')}`;
  const blob = Buffer.from('blob behind a redirect');
  const blobDigest = sha256Digest(blob);
  const options = (extra: Partial<RemoteEndpointOptions> = {}): RemoteEndpointOptions => ({ registry: host, verifyTls: false, credentials, ...extra });

  beforeAll(async () => {
    storage = http.createServer((req, res) => {
      storageAuthorization.push(req.headers.authorization);
      res.end(blob);
    });
    storagePort = await listen(storage);
    server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.headers.authorization !== basic) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="test"' }).end();
        return;
      }
      const json = (body: unknown, headers: Record<string, string> = {}) => res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      const manifest = (body: Buffer | string) => res.writeHead(200, { 'content-type': MEDIA_TYPES.ociManifest }).end(body);
      switch (url.pathname) {
        case '/v2/':
          return json({});
        case '/v2/bad/tags/list':
          return res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json</html>');
        case '/v2/shape/tags/list':
          return json({ name: 'shape', tags: 'v1' });
        case '/v2/empty/tags/list':
          return json({ name: 'empty', tags: null });
        case '/v2/odd/tags/list':
          return json({ name: 'odd', tags: ['ok', '../x', 'a b', '.hidden', '-dash', 'x'.repeat(129), 'v1', 'ok'] });
        case '/v2/many/tags/list':
          return json({ name: 'many', tags: Array.from({ length: MAX_REMOTE_TAGS + 1 }, (_, i) => `t${i}`) });
        case '/v2/pages/tags/list': {
          // An absolute Link first, then a relative one.
          const last = url.searchParams.get('last');
          if (last === null) return json({ name: 'pages', tags: ['a', 'b'] }, { link: `<http://${host}/v2/pages/tags/list?last=b&n=2>; rel="next"` });
          if (last === 'b') return json({ name: 'pages', tags: ['c', 'd'] }, { link: '</v2/pages/tags/list?last=d&n=2>; rel="next"' });
          return json({ name: 'pages', tags: ['e'] });
        }
        case '/v2/bad/manifests/notjson':
          return manifest('this is not json');
        case '/v2/bad/manifests/big':
          return manifest(JSON.stringify({ schemaVersion: 2, padding: 'x'.repeat(5000) }));
        case '/v2/bad/manifests/untyped':
          return res.writeHead(200, { 'content-type': 'application/json' }).end(served);
        case '/v2/bad/manifests/schema1':
          return res.writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }).end('{"schemaVersion":1}');
        case `/v2/bad/manifests/sha256:${'a'.repeat(64)}`:
          return manifest(served);
        case '/v2/bad/manifests/slow':
          return; // never answers
        case `/v2/bad/blobs/${blobDigest}`:
          return res.writeHead(307, { location: `http://localhost:${storagePort}/storage/blob?signature=abc` }).end();
        case `/v2/metadata/blobs/${blobDigest}`:
          return res.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        case `/v2/same/blobs/${blobDigest}`:
          return res.writeHead(302, { location: '/v2/storage' }).end();
        case '/v2/storage':
          sameOriginAuthorization.push(req.headers.authorization);
          return res.end(blob);
        default:
          res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: 'unknown' }] }));
      }
    });
    host = `127.0.0.1:${await listen(server)}`;
  });

  afterAll(async () => {
    await closeServer(server);
    await closeServer(storage);
  });

  it('refuses tag lists that are not {name, tags: string[]}', async () => {
    const notJson = await failureOf(withRepository(options(), 'bad', (repo) => repo.listTags()));
    expect(notJson.failure).toBe('invalid');
    expect(notJson.message).toBe(`the tag list of bad from ${host} is not JSON`);
    const shape = await failureOf(withRepository(options(), 'shape', (repo) => repo.listTags()));
    expect(shape.failure).toBe('invalid');
    expect(shape.message).toContain('"tags" field that is not a list of strings');
    expect(await withRepository(options(), 'empty', (repo) => repo.listTags())).toEqual([]);
  });

  it('leaves out tag names that are not valid tags, and refuses lists of more than MAX_REMOTE_TAGS tags', async () => {
    expect(await withRepository(options(), 'odd', (repo) => repo.listTags())).toEqual(['ok', 'v1']);
    const many = await failureOf(withRepository(options(), 'many', (repo) => repo.listTags()));
    expect(many.failure).toBe('invalid');
    expect(many.message).toBe(`many on ${host} has more than ${MAX_REMOTE_TAGS} tags, more than a mirror takes`);
  });

  it('refuses a redirect to a non-public address under an SSRF policy', async () => {
    const redirected = await failureOf(
      withRepository(options({ ssrfAllowedHosts: ['127.0.0.1'] }), 'metadata', async (repo) => repo.openBlob(blobDigest)),
    );
    expect(redirected.failure).toBe('refused');
    expect(redirected.message).toContain('refusing to connect to 169.254.169.254');
  });

  it('refuses a host name that resolves to a loopback address under an SSRF policy', async (context) => {
    const name = hostname();
    const addresses = await lookup(name, { all: true }).catch(() => []);
    if (name.endsWith('localhost') || addresses.length === 0 || !addresses.every((a) => a.address.startsWith('127.'))) {
      context.skip();
      return;
    }
    const port = host.split(':')[1];
    const refused = await failureOf(withRepository(options({ registry: `${name}:${port}`, ssrfAllowedHosts: [] }), 'pages', (repo) => repo.listTags()));
    expect(refused.failure).toBe('refused');
    expect(refused.message).toContain('resolves to a non-public address');
    // The same name, allowed by the policy, is reached.
    expect(await withRepository(options({ registry: `${name}:${port}`, ssrfAllowedHosts: [name] }), 'empty', (repo) => repo.listTags())).toEqual([]);
  });

  it('follows absolute and relative Link headers', async () => {
    expect(await withRepository(options(), 'pages', (repo) => repo.listTags(), 2)).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('refuses manifests that are not JSON, too large, of an unsupported type or not matching their digest', async () => {
    await withRepository(options(), 'bad', async (repo) => {
      const notJson = await failureOf(repo.getManifest('notjson', 1024));
      expect([notJson.failure, notJson.message]).toEqual(['invalid', `manifest notjson of bad from ${host} is not JSON`]);
      const big = await failureOf(repo.getManifest('big', 1000));
      expect([big.failure, big.message]).toEqual(['invalid', `manifest big of bad from ${host} is larger than the limit of 1000 bytes`]);
      const schema1 = await failureOf(repo.getManifest('schema1', 1024));
      expect(schema1.failure).toBe('invalid');
      expect(schema1.message).toContain('unsupported media type application/vnd.docker.distribution.manifest.v1+prettyjws');
      const mismatch = await failureOf(repo.getManifest(`sha256:${'a'.repeat(64)}`, 1024));
      expect(mismatch.failure).toBe('invalid');
      expect(mismatch.message).toContain(`does not match its digest (the content hashes to ${sha256Digest(served)})`);
      // A generic Content-Type: the media type comes from the body.
      expect((await repo.getManifest('untyped', 1024)).mediaType).toBe(MEDIA_TYPES.ociManifest);
    });
  });

  it('gives up on a server that does not answer within the request timeout', async () => {
    const slow = await failureOf(withRepository(options({ requestTimeoutMs: 300 }), 'bad', (repo) => repo.getManifest('slow', 1024)));
    expect(slow.failure).toBe('unreachable');
    expect(slow.message).toBe(`${host} did not answer within 0.3s`);
  });

  it('follows blob redirects, sending credentials only to the registry itself', async () => {
    await withRepository(options(), 'bad', async (repo) => {
      expect((await streamDigest((await repo.openBlob(blobDigest)).stream)).digest).toBe(blobDigest);
    });
    expect(storageAuthorization).toEqual([undefined]);
    await withRepository(options(), 'same', async (repo) => {
      expect((await streamDigest((await repo.openBlob(blobDigest)).stream)).digest).toBe(blobDigest);
    });
    expect(sameOriginAuthorization).toEqual([basic]);
  });

  it('names the remote status and error code for other answers', async () => {
    const missing = await failureOf(withRepository(options(), 'bad', (repo) => repo.getManifest('missing', 1024)));
    expect(missing.failure).toBe('not_found');
    expect(missing.message).toBe(`manifest missing of bad not found on ${host} (404: NAME_UNKNOWN: unknown)`);
  });
});

describe('registry client and a plain-HTTP token realm behind an HTTPS registry', () => {
  let dir: string;
  let registry: https.Server;
  let tokenService: http.Server;
  let host: string;
  let tokenHost: string;
  const tokenRequests: (string | undefined)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'quayside-token-realm-'));
    const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-keyout', 'key.pem', '-out', 'cert.pem', ...subject], { cwd: dir, stdio: 'ignore' });
    tokenService = http.createServer((req, res) => {
      tokenRequests.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"granted"}');
    });
    const tokenPort = await listen(tokenService);
    tokenHost = `127.0.0.1:${tokenPort}`;
    const tls = { key: await readFile(path.join(dir, 'key.pem')), cert: await readFile(path.join(dir, 'cert.pem')) };
    registry = https.createServer(tls, (req, res) => {
      if (req.headers.authorization !== 'Bearer granted') {
        res.writeHead(401, { 'www-authenticate': `Bearer realm="http://127.0.0.1:${tokenPort}/token",service="test"` }).end();
        return;
      }
      const body = req.url?.startsWith('/v2/app/tags/list') ? { name: 'app', tags: ['v1'] } : {};
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    host = `127.0.0.1:${await listen(registry)}`;
  });

  afterAll(async () => {
    await closeServer(registry);
    await closeServer(tokenService);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses to send credentials to it, and fetches anonymous tokens from it', async () => {
    const credentials = { username: 'carol', password: 'carol-secret' };
    const refused = await failureOf(withRepository({ registry: host, verifyTls: false, credentials }, 'app', (repo) => repo.listTags()));
    expect(refused.failure).toBe('invalid');
    expect(refused.message).toBe(`the token service of ${host} is plain HTTP (${tokenHost}) while the registry speaks HTTPS: refusing to send the credentials there`);
    expect(tokenRequests).toEqual([]);
    expect(await withRepository({ registry: host, verifyTls: false }, 'app', (repo) => repo.listTags())).toEqual(['v1']);
    expect(tokenRequests).toEqual([undefined]);
  });
});

describe('registry client building blocks', () => {
  it('reads WWW-Authenticate challenges, preferring Bearer with an http(s) realm', () => {
    expect(parseAuthenticate('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      realm: 'https://auth.example/token',
      service: 'registry.example',
    });
    expect(parseAuthenticate(['Basic realm="x"', 'Bearer realm="http://h/t"'])).toEqual({ scheme: 'bearer', realm: 'http://h/t', service: undefined });
    expect(parseAuthenticate('Basic realm="Registry Realm", charset="UTF-8"')).toEqual({ scheme: 'basic' });
    expect(parseAuthenticate('Bearer realm="file:///etc/passwd"')).toBeUndefined();
    expect(parseAuthenticate('Negotiate')).toBeUndefined();
    expect(parseAuthenticate(undefined)).toBeUndefined();
    expect(tokenFromResponse({ access_token: 'abc' })).toBe('abc');
    expect(tokenFromResponse({ token: '', access_token: 'abc' })).toBe('abc');
    expect(tokenFromResponse({ token: 5 })).toBeUndefined();
  });

  it('matches no_proxy entries by host, domain suffix and port', () => {
    const url = new URL('https://registry.corp.example:5000/v2/');
    expect(bypassesProxy('*', url)).toBe(true);
    expect(bypassesProxy('corp.example', url)).toBe(true);
    expect(bypassesProxy('.corp.example', url)).toBe(true);
    expect(bypassesProxy('*.corp.example', url)).toBe(true);
    expect(bypassesProxy('other.example, registry.corp.example:5000', url)).toBe(true);
    expect(bypassesProxy('registry.corp.example:443', url)).toBe(false);
    expect(bypassesProxy('orp.example', url)).toBe(false);
    expect(bypassesProxy('', url)).toBe(false);
    expect(bypassesProxy(null, url)).toBe(false);
    expect(bypassesProxy('::1', new URL('http://[::1]:5000/'))).toBe(true);
    expect(bypassesProxy('[::1]:5000', new URL('http://[::1]:5000/'))).toBe(true);
  });

  it('refuses a registry that is not host[:port] and names that are not repositories', () => {
    expect(() => openRemoteRepository({ registry: 'quay.io/x', verifyTls: true }, 'a/b')).toThrow(RemoteRegistryError);
    expect(() => openRemoteRepository({ registry: 'user@quay.io', verifyTls: true }, 'a/b')).toThrow(/host\[:port\]/);
    expect(() => openRemoteRepository({ registry: 'quay.io', verifyTls: true }, 'A/b')).toThrow(/not a valid repository name/);
    expect(() => openPushTarget({ registry: '127.0.0.1:5000', verifyTls: true }, 'a/../b')).toThrow(RemoteRegistryError);
  });
});
