import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifactManifest,
  blobOf,
  dockerManifest,
  imageConfigBlob,
  imageIndex,
  imageManifest,
  MEDIA_TYPES,
  manifestDescriptor,
  randomBlob,
  randomImage,
  sha256Digest,
  unknownDigest,
} from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import type { RegistryResponse } from '../helpers/http.js';
import {
  type ConformanceEnv,
  expectOciError,
  expectStatus,
  locationPath,
  startConformanceEnv,
} from './support.js';

/** OCI Distribution Spec v1.1, "Push": blob uploads (monolithic, chunked, mount) and manifests. */

describe.each(testDialects())('push (%s)', (dialect) => {
  let env: ConformanceEnv;
  beforeAll(async () => {
    env = await startConformanceEnv(dialect);
  });
  afterAll(async () => {
    await env?.close();
  });

  /** The blob is pullable from `repo` with exactly these bytes. */
  async function expectBlob(repo: string, blob: { digest: string; data: Buffer }): Promise<void> {
    const res = await env.alice.get(`/v2/${repo}/blobs/${blob.digest}`);
    expectStatus(res, 200);
    expect(res.body.equals(blob.data)).toBe(true);
  }

  function expectBlobCreated(res: RegistryResponse, repo: string, digest: string): void {
    expectStatus(res, 201);
    expect(locationPath(res, env.registry.url)).toBe(`/v2/${repo}/blobs/${digest}`);
    expect(res.header('docker-content-digest')).toBe(digest);
  }

  function expectUploadSession(res: RegistryResponse, repo: string): string {
    expectStatus(res, 202);
    const path = locationPath(res, env.registry.url);
    expect(path.startsWith(`/v2/${repo}/blobs/uploads/`), path).toBe(true);
    const uuid = res.header('docker-upload-uuid');
    expect(uuid, 'Docker-Upload-UUID').toBeTruthy();
    expect(path).toContain(uuid!);
    return path;
  }

  describe('monolithic upload', () => {
    it('POST then PUT: 202 with Location, Docker-Upload-UUID and Range 0-0, then 201 with the blob Location', async () => {
      const repo = env.repo('postput');
      const blob = randomBlob();
      const post = await env.alice.startUpload(repo);
      const location = expectUploadSession(post, repo);
      const range = post.header('range');
      if (range !== null) expect(range).toBe('0-0');
      const put = await env.alice.request('PUT', env.alice.withQuery(location, { digest: blob.digest }), {
        body: blob.data,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      expectBlobCreated(put, repo, blob.digest);
      await expectBlob(repo, blob);
    });

    it('single POST with ?digest= creates the blob (201)', async () => {
      const repo = env.repo('singlepost');
      const blob = randomBlob();
      const res = await env.alice.uploadSinglePost(repo, blob);
      expectBlobCreated(res, repo, blob.digest);
      await expectBlob(repo, blob);
    });

    it('accepts a zero-byte blob', async () => {
      const repo = env.repo('empty');
      const blob = blobOf(Buffer.alloc(0));
      const res = await env.alice.uploadPostPut(repo, blob);
      expectBlobCreated(res, repo, blob.digest);
      const head = await env.alice.head(`/v2/${repo}/blobs/${blob.digest}`);
      expectStatus(head, 200);
      expect(head.header('content-length')).toBe('0');
    });

    it('a digest mismatch on PUT is 400 DIGEST_INVALID and nothing becomes pullable', async () => {
      const repo = env.repo('mismatch');
      const blob = randomBlob();
      const claimed = unknownDigest();
      const res = await env.alice.uploadPostPut(repo, blob, claimed);
      expectOciError(res, 400, 'DIGEST_INVALID');
      expectOciError(await env.alice.get(`/v2/${repo}/blobs/${claimed}`), 404, ['BLOB_UNKNOWN', 'NAME_UNKNOWN']);
      expectOciError(await env.alice.get(`/v2/${repo}/blobs/${blob.digest}`), 404, ['BLOB_UNKNOWN', 'NAME_UNKNOWN']);
    });

    it('a digest mismatch on single POST is 400 DIGEST_INVALID', async () => {
      const repo = env.repo('mismatchpost');
      const blob = randomBlob();
      const claimed = unknownDigest();
      expectOciError(await env.alice.uploadSinglePost(repo, blob, claimed), 400, 'DIGEST_INVALID');
      expectOciError(await env.alice.head(`/v2/${repo}/blobs/${claimed}`), 404, 'BLOB_UNKNOWN');
    });

    it('a malformed or unsupported digest is 400 DIGEST_INVALID', async () => {
      const repo = env.repo('baddigest');
      const blob = randomBlob();
      expectOciError(await env.alice.uploadPostPut(repo, blob, 'sha256:baddigeststring'), 400, 'DIGEST_INVALID');
      expectOciError(await env.alice.uploadPostPut(repo, blob, 'md5:0123456789abcdef0123456789abcdef'), 400, [
        'DIGEST_INVALID',
        'UNSUPPORTED',
      ]);
    });

    it('PUT without ?digest= is rejected with 400', async () => {
      const repo = env.repo('nodigest');
      const post = await env.alice.startUpload(repo);
      const location = expectUploadSession(post, repo);
      const put = await env.alice.request('PUT', location, { body: randomBlob().data });
      expectOciError(put, 400, ['DIGEST_INVALID', 'BLOB_UPLOAD_INVALID']);
    });
  });

  describe('chunked upload', () => {
    it('PATCH chunks answer 202 with Location and Range 0-<end>; status GET is 204; PUT closes with 201', async () => {
      const repo = env.repo('chunked');
      const blob = randomBlob(3000);
      let location = expectUploadSession(await env.alice.startUpload(repo), repo);
      const uuid = location.split('/').pop()!.split('?')[0]!;
      for (const [start, end] of [
        [0, 999],
        [1000, 1999],
        [2000, 2999],
      ] as const) {
        const patch = await env.alice.patchChunk(location, blob.data.subarray(start, end + 1), start);
        expectStatus(patch, 202);
        expect(patch.header('range')).toBe(`0-${end}`);
        expect(patch.header('docker-upload-uuid')).toBe(uuid);
        location = locationPath(patch, env.registry.url);
        const status = await env.alice.uploadStatus(location);
        expectStatus(status, 204);
        expect(status.header('range')).toBe(`0-${end}`);
        expect(status.body.length).toBe(0);
        expect(locationPath(status, env.registry.url).startsWith(`/v2/${repo}/blobs/uploads/`)).toBe(true);
      }
      const put = await env.alice.closeUpload(location, blob.digest);
      expectBlobCreated(put, repo, blob.digest);
      await expectBlob(repo, blob);
      // A closed session is gone.
      expectOciError(await env.alice.uploadStatus(location), 404, 'BLOB_UPLOAD_UNKNOWN');
    });

    it('the final chunk may travel in the closing PUT', async () => {
      const repo = env.repo('chunkput');
      const blob = randomBlob(2500);
      const responses = await env.alice.uploadChunked(repo, blob, 1000, { finalInPut: true });
      expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 201]);
      expectBlobCreated(responses.at(-1)!, repo, blob.digest);
      await expectBlob(repo, blob);
    });

    it('a single PATCH without Content-Range (streamed) followed by PUT works', async () => {
      const repo = env.repo('stream');
      const blob = randomBlob(4096);
      const location = expectUploadSession(await env.alice.startUpload(repo), repo);
      const patch = await env.alice.request('PATCH', location, {
        body: blob.data,
        headers: { 'Content-Type': 'application/octet-stream' },
      });
      expectStatus(patch, 202);
      expect(patch.header('range')).toBe(`0-${blob.size - 1}`);
      const put = await env.alice.closeUpload(locationPath(patch, env.registry.url), blob.digest);
      expectBlobCreated(put, repo, blob.digest);
    });

    it('status GET of a fresh session is 204 with Location', async () => {
      const repo = env.repo('fresh');
      const location = expectUploadSession(await env.alice.startUpload(repo), repo);
      const status = await env.alice.uploadStatus(location);
      expectStatus(status, 204);
      expect(status.header('location')).toBeTruthy();
      const range = status.header('range');
      if (range !== null) expect(range).toBe('0-0');
    });

    it('an out-of-order chunk is 416, the session survives and can be completed', async () => {
      const repo = env.repo('ooo');
      const blob = randomBlob(3000);
      let location = expectUploadSession(await env.alice.startUpload(repo), repo);
      const first = await env.alice.patchChunk(location, blob.data.subarray(0, 1000), 0);
      expectStatus(first, 202);
      location = locationPath(first, env.registry.url);

      // A gap, an overlap, and a resend of the first chunk are all out of order.
      for (const start of [2000, 500, 0]) {
        const bad = await env.alice.patchChunk(location, blob.data.subarray(start, start + 1000), start);
        expect(bad.status, bad.describe()).toBe(416);
      }
      const status = await env.alice.uploadStatus(location);
      expectStatus(status, 204);
      expect(status.header('range')).toBe('0-999');
      location = locationPath(status, env.registry.url);

      const second = await env.alice.patchChunk(location, blob.data.subarray(1000, 2000), 1000);
      expectStatus(second, 202);
      expect(second.header('range')).toBe('0-1999');
      location = locationPath(second, env.registry.url);
      // The final chunk in the PUT, out of order: 416.
      const badPut = await env.alice.closeUpload(location, blob.digest, blob.data.subarray(2500), 2500);
      expect(badPut.status, badPut.describe()).toBe(416);
      const put = await env.alice.closeUpload(location, blob.digest, blob.data.subarray(2000), 2000);
      expectBlobCreated(put, repo, blob.digest);
      await expectBlob(repo, blob);
    });

    it('a first chunk that does not start at 0 is 416', async () => {
      const repo = env.repo('notzero');
      const location = expectUploadSession(await env.alice.startUpload(repo), repo);
      const res = await env.alice.patchChunk(location, randomBlob(100).data, 10);
      expect(res.status, res.describe()).toBe(416);
    });

    it('a chunked upload closed with the wrong digest is 400 DIGEST_INVALID and stores nothing', async () => {
      const repo = env.repo('chunkmismatch');
      const blob = randomBlob(2000);
      const claimed = unknownDigest();
      const responses = await env.alice.uploadChunked(repo, blob, 1000, { digest: claimed });
      expect(responses.slice(0, -1).map((r) => r.status)).toEqual([202, 202, 202]);
      expectOciError(responses.at(-1)!, 400, 'DIGEST_INVALID');
      expectOciError(await env.alice.head(`/v2/${repo}/blobs/${claimed}`), 404, 'BLOB_UNKNOWN');
      expectOciError(await env.alice.head(`/v2/${repo}/blobs/${blob.digest}`), 404, 'BLOB_UNKNOWN');
    });

    it('cancel: DELETE is 204, then the session is 404 BLOB_UPLOAD_UNKNOWN', async () => {
      const repo = env.repo('cancel');
      const blob = randomBlob(1000);
      let location = expectUploadSession(await env.alice.startUpload(repo), repo);
      const patch = await env.alice.patchChunk(location, blob.data, 0);
      expectStatus(patch, 202);
      location = locationPath(patch, env.registry.url);
      const del = await env.alice.cancelUpload(location);
      expectStatus(del, 204);
      expectOciError(await env.alice.uploadStatus(location), 404, 'BLOB_UPLOAD_UNKNOWN');
      expectOciError(await env.alice.patchChunk(location, blob.data, 0), 404, 'BLOB_UPLOAD_UNKNOWN');
      expectOciError(await env.alice.closeUpload(location, blob.digest), 404, 'BLOB_UPLOAD_UNKNOWN');
      expectOciError(await env.alice.get(`/v2/${repo}/blobs/${blob.digest}`), 404, 'BLOB_UNKNOWN');
    });

    it('an unknown session id is 404 BLOB_UPLOAD_UNKNOWN', async () => {
      const repo = env.repo('unknownsession');
      await env.alice.pushBlob(repo, randomBlob());
      const path = `/v2/${repo}/blobs/uploads/3f1d5a9e-0000-4000-8000-000000000000`;
      expectOciError(await env.alice.get(path), 404, 'BLOB_UPLOAD_UNKNOWN');
      expectOciError(await env.alice.cancelUpload(path), 404, 'BLOB_UPLOAD_UNKNOWN');
    });

    it('a session belongs to its repository', async () => {
      const repo = env.repo('sessionrepo');
      const other = env.repo('sessionother');
      await env.alice.pushBlob(other, randomBlob());
      const location = expectUploadSession(await env.alice.startUpload(repo), repo);
      const foreign = location.replace(`/v2/${repo}/`, `/v2/${other}/`);
      expectOciError(await env.alice.uploadStatus(foreign), 404, 'BLOB_UPLOAD_UNKNOWN');
    });
  });

  describe('cross-repository mount', () => {
    it('mount + from a readable repository: 201 with the blob Location', async () => {
      const source = env.repo('mountsrc');
      const target = env.repo('mountdst');
      const blob = randomBlob();
      await env.alice.pushBlob(source, blob);
      const res = await env.alice.startUpload(target, { mount: blob.digest, from: source });
      expectBlobCreated(res, target, blob.digest);
      await expectBlob(target, blob);
    });

    it('mount from a repository the caller cannot read falls back to an upload session (202)', async () => {
      const source = env.repo('secret', 'bob');
      const target = env.repo('mountdenied');
      const blob = randomBlob();
      await env.bob.pushBlob(source, blob);
      const res = await env.alice.startUpload(target, { mount: blob.digest, from: source });
      const location = expectUploadSession(res, target);
      expectOciError(await env.alice.get(`/v2/${target}/blobs/${blob.digest}`), 404, ['BLOB_UNKNOWN', 'NAME_UNKNOWN']);
      // The session is usable: the client uploads the bytes itself.
      const put = await env.alice.closeUpload(location, blob.digest, blob.data);
      expectBlobCreated(put, target, blob.digest);
    });

    it('mount from another user\'s public repository: 201 (the caller can read it)', async () => {
      const source = env.repo('pubsrc', 'bob');
      const target = env.repo('pubmount');
      const blob = randomBlob();
      await env.bob.pushBlob(source, blob);
      await env.makePublic(source);
      const res = await env.alice.startUpload(target, { mount: blob.digest, from: source });
      expectBlobCreated(res, target, blob.digest);
      await expectBlob(target, blob);
    });

    it('mount of an unknown digest falls back to an upload session (202)', async () => {
      const source = env.repo('mountsrc2');
      const target = env.repo('mountdst2');
      await env.alice.pushBlob(source, randomBlob());
      expectUploadSession(await env.alice.startUpload(target, { mount: unknownDigest(), from: source }), target);
    });

    it('mount without from: automatic mount of a blob the caller can read (201)', async () => {
      const source = env.repo('automountsrc');
      const target = env.repo('automountdst');
      const blob = randomBlob();
      await env.alice.pushBlob(source, blob);
      const res = await env.alice.startUpload(target, { mount: blob.digest });
      expectBlobCreated(res, target, blob.digest);
      await expectBlob(target, blob);
    });

    it('mount without from never mounts a blob the caller cannot read (202)', async () => {
      const source = env.repo('autosecret', 'bob');
      const target = env.repo('autodenied');
      const blob = randomBlob();
      await env.bob.pushBlob(source, blob);
      expectUploadSession(await env.alice.startUpload(target, { mount: blob.digest }), target);
      expectOciError(await env.alice.head(`/v2/${target}/blobs/${blob.digest}`), 404, ['BLOB_UNKNOWN', 'NAME_UNKNOWN']);
    });

    it('a blob pushed to one repository is not served by another one without a mount', async () => {
      const source = env.repo('isolated');
      const other = env.repo('isolated-other');
      const blob = randomBlob();
      await env.alice.pushBlob(source, blob);
      await env.alice.pushBlob(other, randomBlob());
      expectOciError(await env.alice.get(`/v2/${other}/blobs/${blob.digest}`), 404, 'BLOB_UNKNOWN');
    });
  });

  describe('manifests', () => {
    it('PUT by tag: 201 with Location and Docker-Content-Digest of the exact bytes', async () => {
      const repo = env.repo('mtag');
      const image = randomImage(2);
      for (const blob of image.blobs) await env.alice.pushBlob(repo, blob);
      const res = await env.alice.putManifest(repo, 'v1', image.manifest);
      expectStatus(res, 201);
      expect(res.header('docker-content-digest')).toBe(image.manifest.digest);
      const location = locationPath(res, env.registry.url);
      expect([`/v2/${repo}/manifests/${image.manifest.digest}`, `/v2/${repo}/manifests/v1`]).toContain(location);
      const get = await env.alice.getManifest(repo, 'v1');
      expectStatus(get, 200);
      expect(get.body.equals(image.manifest.bytes)).toBe(true);
    });

    it('PUT by digest: 201, and a PUT whose digest does not match the body is 400', async () => {
      const repo = env.repo('mdigest');
      const image = randomImage(1);
      for (const blob of image.blobs) await env.alice.pushBlob(repo, blob);
      const res = await env.alice.putManifest(repo, image.manifest.digest, image.manifest);
      expectStatus(res, 201);
      expect(res.header('docker-content-digest')).toBe(image.manifest.digest);
      expect(locationPath(res, env.registry.url)).toBe(`/v2/${repo}/manifests/${image.manifest.digest}`);
      const wrong = await env.alice.putManifest(repo, unknownDigest(), image.manifest);
      expectOciError(wrong, 400, ['DIGEST_INVALID', 'MANIFEST_INVALID']);
      const bad = await env.alice.putManifest(repo, 'sha256:baddigeststring', image.manifest);
      expectOciError(bad, 400, ['DIGEST_INVALID', 'MANIFEST_INVALID']);
    });

    it('stores whitespace and key order byte for byte', async () => {
      const repo = env.repo('mbytes');
      const config = imageConfigBlob();
      const layer = randomBlob();
      const manifest = imageManifest({ config, layers: [layer], indent: 3, annotations: { z: '1', a: '2' } });
      await env.alice.pushBlob(repo, config);
      await env.alice.pushBlob(repo, layer);
      expectStatus(await env.alice.putManifest(repo, 'pretty', manifest), 201);
      const get = await env.alice.getManifest(repo, manifest.digest);
      expect(get.body.equals(manifest.bytes)).toBe(true);
      expect(get.header('docker-content-digest')).toBe(manifest.digest);
    });

    it('a manifest referencing a missing layer is 400 MANIFEST_BLOB_UNKNOWN', async () => {
      const repo = env.repo('mmissing');
      const config = imageConfigBlob();
      const present = randomBlob();
      await env.alice.pushBlob(repo, config);
      await env.alice.pushBlob(repo, present);
      const manifest = imageManifest({ config, layers: [present, randomBlob()] });
      expectOciError(await env.alice.putManifest(repo, 'v1', manifest), 400, 'MANIFEST_BLOB_UNKNOWN');
      expectOciError(await env.alice.getManifest(repo, 'v1'), 404, 'MANIFEST_UNKNOWN');
    });

    it('a manifest referencing a missing config is 400 MANIFEST_BLOB_UNKNOWN', async () => {
      const repo = env.repo('mmissingcfg');
      const layer = randomBlob();
      await env.alice.pushBlob(repo, layer);
      const manifest = imageManifest({ config: imageConfigBlob(), layers: [layer] });
      expectOciError(await env.alice.putManifest(repo, 'v1', manifest), 400, 'MANIFEST_BLOB_UNKNOWN');
    });

    it('a manifest referencing a blob held only by another repository is 400 MANIFEST_BLOB_UNKNOWN', async () => {
      const repo = env.repo('mforeign');
      const other = env.repo('mforeign-other');
      const image = randomImage(1);
      for (const blob of image.blobs) await env.alice.pushBlob(other, blob);
      await env.alice.pushBlob(repo, image.blobs[0]!);
      expectOciError(await env.alice.putManifest(repo, 'v1', image.manifest), 400, 'MANIFEST_BLOB_UNKNOWN');
    });

    it('invalid JSON is 400 MANIFEST_INVALID', async () => {
      const repo = env.repo('minvalid');
      await env.alice.pushBlob(repo, randomBlob());
      const res = await env.alice.putManifest(repo, 'v1', {
        bytes: Buffer.from('{"schemaVersion": 2, "mediaType": '),
        mediaType: MEDIA_TYPES.ociManifest,
      });
      expectOciError(res, 400, 'MANIFEST_INVALID');
    });

    it('JSON that is not a manifest is 400 MANIFEST_INVALID', async () => {
      const repo = env.repo('mnotmanifest');
      await env.alice.pushBlob(repo, randomBlob());
      for (const body of ['[]', '{}', '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}']) {
        const res = await env.alice.putManifest(repo, 'v1', { bytes: Buffer.from(body), mediaType: MEDIA_TYPES.ociManifest });
        expectOciError(res, 400, 'MANIFEST_INVALID');
      }
    });

    it('a manifest PUT creates the repository: an empty index into a new name is 201', async () => {
      const repo = env.repo('mnewrepo');
      const index = imageIndex({ manifests: [] });
      const res = await env.alice.putManifest(repo, 'empty', index);
      expectStatus(res, 201);
      expect(res.header('docker-content-digest')).toBe(index.digest);
      expectStatus(await env.alice.getManifest(repo, 'empty'), 200);
    });

    it('an invalid manifest PUT into a new name is 400 MANIFEST_INVALID, not 404', async () => {
      const repo = env.repo('mnewinvalid');
      const res = await env.alice.putManifest(repo, 'v1', { bytes: Buffer.from('nope'), mediaType: MEDIA_TYPES.ociManifest });
      expectOciError(res, 400, 'MANIFEST_INVALID');
    });

    it('an invalid tag is rejected with 400', async () => {
      const repo = env.repo('mbadtag');
      const image = randomImage(1);
      for (const blob of image.blobs) await env.alice.pushBlob(repo, blob);
      for (const tag of ['-leadingdash', 'a'.repeat(129), 'has%20space']) {
        const res = await env.alice.putManifest(repo, tag, image.manifest);
        expectOciError(res, 400, ['TAG_INVALID', 'MANIFEST_INVALID', 'NAME_INVALID']);
      }
    });

    it('accepts a 4 MB manifest (clients should be able to push at least 4 MB)', async () => {
      const repo = env.repo('mlarge');
      const config = imageConfigBlob();
      const layer = randomBlob();
      await env.alice.pushBlob(repo, config);
      await env.alice.pushBlob(repo, layer);
      const manifest = imageManifest({
        config,
        layers: [layer],
        annotations: { 'org.example.padding': 'x'.repeat(4 * 1024 * 1024 - 1024) },
      });
      const res = await env.alice.putManifest(repo, 'large', manifest);
      expectStatus(res, 201);
      expect(res.header('docker-content-digest')).toBe(manifest.digest);
    });

    it('Docker schema 2 manifests are accepted and served with their media type', async () => {
      const repo = env.repo('mdocker');
      const config = blobOf(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } }));
      const layer = randomBlob();
      await env.alice.pushBlob(repo, config);
      await env.alice.pushBlob(repo, layer);
      const manifest = dockerManifest(config, [layer]);
      expectStatus(await env.alice.putManifest(repo, 'docker', manifest), 201);
      const get = await env.alice.getManifest(repo, 'docker');
      expectStatus(get, 200);
      expect(get.header('content-type')).toBe(MEDIA_TYPES.dockerManifest);
      expect(get.body.equals(manifest.bytes)).toBe(true);
    });

    it('an index of pushed manifests is accepted; an index with a missing child is 400 MANIFEST_BLOB_UNKNOWN', async () => {
      const repo = env.repo('mindex');
      const amd = randomImage(1);
      const arm = randomImage(1);
      await env.alice.pushImage(repo, amd.manifest.digest, amd);
      await env.alice.pushImage(repo, arm.manifest.digest, arm);
      const index = imageIndex({
        manifests: [
          manifestDescriptor(amd.manifest, { platform: { architecture: 'amd64', os: 'linux' } }),
          manifestDescriptor(arm.manifest, { platform: { architecture: 'arm64', os: 'linux' } }),
        ],
      });
      const res = await env.alice.putManifest(repo, 'multi', index);
      expectStatus(res, 201);
      expect(res.header('docker-content-digest')).toBe(index.digest);
      const get = await env.alice.getManifest(repo, 'multi');
      expect(get.header('content-type')).toBe(MEDIA_TYPES.ociIndex);
      expect(get.body.equals(index.bytes)).toBe(true);

      const missing = randomImage(1);
      const broken = imageIndex({
        manifests: [manifestDescriptor(amd.manifest), manifestDescriptor(missing.manifest)],
      });
      expectOciError(await env.alice.putManifest(repo, 'broken', broken), 400, 'MANIFEST_BLOB_UNKNOWN');
    });

    it('a Docker manifest list is accepted', async () => {
      const repo = env.repo('mlist');
      const config = blobOf(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' } }));
      const layer = randomBlob();
      await env.alice.pushBlob(repo, config);
      await env.alice.pushBlob(repo, layer);
      const child = dockerManifest(config, [layer]);
      expectStatus(await env.alice.putManifest(repo, child.digest, child), 201);
      const list = imageIndex({
        mediaType: MEDIA_TYPES.dockerList,
        manifests: [manifestDescriptor(child, { platform: { architecture: 'amd64', os: 'linux' } })],
      });
      expectStatus(await env.alice.putManifest(repo, 'list', list), 201);
      const get = await env.alice.getManifest(repo, 'list');
      expect(get.header('content-type')).toBe(MEDIA_TYPES.dockerList);
    });

    it('PUT of a manifest with subject answers OCI-Subject, even when the subject does not exist yet', async () => {
      const repo = env.repo('msubject');
      const subject = randomImage(1);
      const artifact = artifactManifest({
        artifactType: 'application/vnd.example.sbom.v1',
        subject: manifestDescriptor(subject.manifest),
      });
      for (const blob of artifact.blobs) await env.alice.pushBlob(repo, blob);
      const res = await env.alice.putManifest(repo, artifact.manifest.digest, artifact.manifest);
      expectStatus(res, 201);
      expect(res.header('oci-subject')).toBe(subject.manifest.digest);
      // The subject can be pushed afterwards.
      await env.alice.pushImage(repo, 'subject', subject);
    });

    it('a manifest without subject has no OCI-Subject header', async () => {
      const repo = env.repo('mnosubject');
      const res = await env.alice.pushImage(repo, 'v1', randomImage(1));
      expect(res.header('oci-subject')).toBeNull();
    });

    it('zstd layers are accepted', async () => {
      const repo = env.repo('mzstd');
      const config = imageConfigBlob();
      const layer = randomBlob();
      await env.alice.pushBlob(repo, config);
      await env.alice.pushBlob(repo, layer);
      const manifest = imageManifest({ config, layers: [layer], layerMediaType: MEDIA_TYPES.ociLayerZstd });
      expectStatus(await env.alice.putManifest(repo, 'zstd', manifest), 201);
    });

    it('PUT of the same manifest again is idempotent (201, same digest)', async () => {
      const repo = env.repo('mrepeat');
      const image = randomImage(1);
      await env.alice.pushImage(repo, 'v1', image);
      for (const reference of ['v1', image.manifest.digest, 'v1-again']) {
        const res = await env.alice.putManifest(repo, reference, image.manifest);
        expectStatus(res, 201);
        expect(res.header('docker-content-digest')).toBe(image.manifest.digest);
      }
      const tags = await env.alice.get(`/v2/${repo}/tags/list`);
      expect(tags.json()).toEqual({ name: repo, tags: ['v1', 'v1-again'] });
    });

    it('moving a tag: the tag follows the latest PUT', async () => {
      const repo = env.repo('mmove');
      const first = randomImage(1);
      const second = randomImage(1);
      await env.alice.pushImage(repo, 'latest', first);
      await env.alice.pushImage(repo, 'latest', second);
      const get = await env.alice.getManifest(repo, 'latest');
      expect(get.header('docker-content-digest')).toBe(second.manifest.digest);
      expectStatus(await env.alice.getManifest(repo, first.manifest.digest), 200);
    });
  });

  describe('nested repository names', () => {
    it('alice/a/b/c is its own repository', async () => {
      const base = env.repo('nest');
      const deep = `${base}/b/c`;
      const image = randomImage(1);
      const put = await env.alice.pushImage(deep, 'v1', image);
      expect(put.header('docker-content-digest')).toBe(image.manifest.digest);
      const get = await env.alice.getManifest(deep, 'v1');
      expectStatus(get, 200);
      expect(get.body.equals(image.manifest.bytes)).toBe(true);
      const tags = await env.alice.get(`/v2/${deep}/tags/list`);
      expectStatus(tags, 200);
      expect(tags.json()).toEqual({ name: deep, tags: ['v1'] });
      // The parents are not repositories, and do not see the child's content.
      expectOciError(await env.alice.getManifest(`${base}/b`, 'v1'), 404, ['NAME_UNKNOWN', 'MANIFEST_UNKNOWN']);
      expectOciError(await env.alice.get(`/v2/${base}/b/tags/list`), 404, 'NAME_UNKNOWN');
      expectOciError(await env.alice.get(`/v2/${base}/blobs/${image.blobs[0]!.digest}`), 404, [
        'NAME_UNKNOWN',
        'BLOB_UNKNOWN',
      ]);
    });
  });

  it('content digest of a blob is computed over the bytes, not trusted from the client', async () => {
    const repo = env.repo('trust');
    const blob = randomBlob(10);
    const res = await env.alice.uploadSinglePost(repo, blob, sha256Digest(Buffer.from('other')));
    expectOciError(res, 400, 'DIGEST_INVALID');
  });
});
