import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Blob,
  type BuiltManifest,
  dockerManifest,
  blobOf,
  imageConfigBlob,
  imageIndex,
  imageManifest,
  MEDIA_TYPES,
  manifestDescriptor,
  randomBlob,
  randomImage,
  unknownDigest,
} from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { type ConformanceEnv, expectChallenge, expectOciError, expectStatus, startConformanceEnv } from './support.js';

/** OCI Distribution Spec v1.1, "Pull": manifests and blobs by GET and HEAD, Range, and 404s. */

describe.each(testDialects())('pull (%s)', (dialect) => {
  let env: ConformanceEnv;
  let repo: string;
  let manifest: BuiltManifest;
  let config: Blob;
  let layer: Blob;
  let index: BuiltManifest;
  let docker: BuiltManifest;

  beforeAll(async () => {
    env = await startConformanceEnv(dialect);
    repo = env.repo('pull');
    config = imageConfigBlob();
    layer = randomBlob(2048);
    // Pretty-printed, so a registry that re-serialises would change the bytes and the digest.
    manifest = imageManifest({ config, layers: [layer], indent: 2, annotations: { 'org.example.k': 'v' } });
    await env.alice.pushImage(repo, 'v1', { manifest, blobs: [config, layer] });
    const other = randomImage(1);
    await env.alice.pushImage(repo, other.manifest.digest, other);
    index = imageIndex({
      manifests: [
        manifestDescriptor(manifest, { platform: { architecture: 'amd64', os: 'linux' } }),
        manifestDescriptor(other.manifest, { platform: { architecture: 'arm64', os: 'linux' } }),
      ],
    });
    expectStatus(await env.alice.putManifest(repo, 'multi', index), 201);
    const dockerConfig = blobOf(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } }));
    await env.alice.pushBlob(repo, dockerConfig);
    docker = dockerManifest(dockerConfig, [layer]);
    expectStatus(await env.alice.putManifest(repo, 'docker', docker), 201);
  });
  afterAll(async () => {
    await env?.close();
  });

  describe('manifests', () => {
    for (const by of ['tag', 'digest'] as const) {
      it(`GET by ${by}: 200, pushed media type, Docker-Content-Digest, Content-Length, identical bytes`, async () => {
        const reference = by === 'tag' ? 'v1' : manifest.digest;
        const res = await env.alice.getManifest(repo, reference);
        expectStatus(res, 200);
        expect(res.header('content-type')).toBe(MEDIA_TYPES.ociManifest);
        expect(res.header('docker-content-digest')).toBe(manifest.digest);
        expect(res.header('content-length')).toBe(String(manifest.size));
        expect(res.body.equals(manifest.bytes)).toBe(true);
      });

      it(`HEAD by ${by}: 200, same headers, no body`, async () => {
        const reference = by === 'tag' ? 'v1' : manifest.digest;
        const res = await env.alice.headManifest(repo, reference);
        expectStatus(res, 200);
        expect(res.header('content-type')).toBe(MEDIA_TYPES.ociManifest);
        expect(res.header('docker-content-digest')).toBe(manifest.digest);
        expect(res.header('content-length')).toBe(String(manifest.size));
        expect(res.body.length).toBe(0);
      });
    }

    it('an index is served as an index', async () => {
      const res = await env.alice.getManifest(repo, 'multi');
      expectStatus(res, 200);
      expect(res.header('content-type')).toBe(MEDIA_TYPES.ociIndex);
      expect(res.header('docker-content-digest')).toBe(index.digest);
      expect(res.body.equals(index.bytes)).toBe(true);
    });

    it('a Docker schema 2 manifest is served with its media type', async () => {
      const res = await env.alice.getManifest(repo, 'docker');
      expectStatus(res, 200);
      expect(res.header('content-type')).toBe(MEDIA_TYPES.dockerManifest);
      expect(res.header('docker-content-digest')).toBe(docker.digest);
      expect(res.body.equals(docker.bytes)).toBe(true);
    });

    it('GET without an Accept header still returns the manifest', async () => {
      const res = await env.alice.get(`/v2/${repo}/manifests/v1`);
      expectStatus(res, 200);
      expect(res.body.equals(manifest.bytes)).toBe(true);
    });

    it('an unknown tag or digest is 404 MANIFEST_UNKNOWN', async () => {
      expectOciError(await env.alice.getManifest(repo, 'missing-tag'), 404, 'MANIFEST_UNKNOWN');
      expectOciError(await env.alice.getManifest(repo, unknownDigest()), 404, 'MANIFEST_UNKNOWN');
      expectOciError(await env.alice.headManifest(repo, 'missing-tag'), 404, 'MANIFEST_UNKNOWN');
      expectOciError(await env.alice.headManifest(repo, unknownDigest()), 404, 'MANIFEST_UNKNOWN');
    });

    it('a malformed digest is 400 or 404', async () => {
      const res = await env.alice.getManifest(repo, 'sha256:baddigeststring');
      expectOciError(res, [400, 404], ['DIGEST_INVALID', 'MANIFEST_INVALID', 'MANIFEST_UNKNOWN', 'TAG_INVALID']);
    });

    it('a blob digest is not a manifest', async () => {
      expectOciError(await env.alice.getManifest(repo, layer.digest), 404, 'MANIFEST_UNKNOWN');
    });
  });

  describe('blobs', () => {
    it('GET: 200, Docker-Content-Digest, Content-Length, identical bytes', async () => {
      const res = await env.alice.get(`/v2/${repo}/blobs/${layer.digest}`);
      expectStatus(res, 200);
      expect(res.header('docker-content-digest')).toBe(layer.digest);
      expect(res.header('content-length')).toBe(String(layer.size));
      expect(res.body.equals(layer.data)).toBe(true);
    });

    it('HEAD: 200, Docker-Content-Digest, Content-Length, no body', async () => {
      const res = await env.alice.head(`/v2/${repo}/blobs/${config.digest}`);
      expectStatus(res, 200);
      expect(res.header('docker-content-digest')).toBe(config.digest);
      expect(res.header('content-length')).toBe(String(config.size));
      expect(res.body.length).toBe(0);
    });

    it('Range requests return 206 with Content-Range', async () => {
      const path = `/v2/${repo}/blobs/${layer.digest}`;
      const size = layer.size;
      const cases: Array<{ range: string; start: number; end: number }> = [
        { range: 'bytes=100-199', start: 100, end: 199 },
        { range: 'bytes=1000-', start: 1000, end: size - 1 },
        { range: 'bytes=-500', start: size - 500, end: size - 1 },
        { range: `bytes=2000-${size + 1000}`, start: 2000, end: size - 1 },
        { range: 'bytes=0-0', start: 0, end: 0 },
      ];
      for (const c of cases) {
        const res = await env.alice.get(path, { headers: { Range: c.range } });
        expect(res.status, `${c.range}: ${res.describe()}`).toBe(206);
        expect(res.header('content-range'), c.range).toBe(`bytes ${c.start}-${c.end}/${size}`);
        expect(res.header('content-length'), c.range).toBe(String(c.end - c.start + 1));
        expect(res.body.equals(layer.data.subarray(c.start, c.end + 1)), c.range).toBe(true);
      }
    });

    it('an unsatisfiable Range is 416', async () => {
      const path = `/v2/${repo}/blobs/${layer.digest}`;
      for (const range of [`bytes=${layer.size + 10}-${layer.size + 20}`, 'bytes=500-0']) {
        const res = await env.alice.get(path, { headers: { Range: range } });
        expect(res.status, `${range}: ${res.describe()}`).toBe(416);
      }
    });

    it('an unknown blob is 404 BLOB_UNKNOWN (GET and HEAD)', async () => {
      const digest = unknownDigest();
      expectOciError(await env.alice.get(`/v2/${repo}/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
      expectOciError(await env.alice.head(`/v2/${repo}/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
    });

    it('a malformed blob digest is 400 DIGEST_INVALID or 404', async () => {
      const res = await env.alice.get(`/v2/${repo}/blobs/sha256:baddigeststring`);
      expectOciError(res, [400, 404], ['DIGEST_INVALID', 'BLOB_UNKNOWN']);
    });
  });

  describe('repositories', () => {
    it('an unknown repository in the caller\'s namespace is 404 NAME_UNKNOWN', async () => {
      const missing = env.repo('nosuchrepo');
      expectOciError(await env.alice.getManifest(missing, 'latest'), 404, 'NAME_UNKNOWN');
      expectOciError(await env.alice.get(`/v2/${missing}/blobs/${layer.digest}`), 404, ['NAME_UNKNOWN', 'BLOB_UNKNOWN']);
      expectOciError(await env.alice.get(`/v2/${missing}/tags/list`), 404, 'NAME_UNKNOWN');
      expectOciError(await env.alice.headManifest(missing, 'latest'), 404, 'NAME_UNKNOWN');
    });

    it('anonymous pull of a private repository is 401 with a pull challenge', async () => {
      const res = await env.anonymous.getManifest(repo, 'v1');
      expectChallenge(res, env.registry.host, `repository:${repo}:pull`);
      const blob = await env.anonymous.get(`/v2/${repo}/blobs/${layer.digest}`);
      expectChallenge(blob, env.registry.host, `repository:${repo}:pull`);
    });

    it('anonymous pull of a repository that does not exist is 401 too (no existence leak)', async () => {
      const missing = env.repo('ghost');
      expectChallenge(await env.anonymous.getManifest(missing, 'latest'), env.registry.host, `repository:${missing}:pull`);
    });

    it('an invalid repository name is 400 NAME_INVALID or 404', async () => {
      for (const name of ['alice/UPPER', 'alice/bad..dots', 'alice/-dash', 'alice/trailing-']) {
        const res = await env.alice.getManifest(name, 'latest');
        expectOciError(res, [400, 404], ['NAME_INVALID', 'NAME_UNKNOWN']);
      }
    });
  });
});
