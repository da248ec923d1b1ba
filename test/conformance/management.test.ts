import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactManifest, manifestDescriptor, randomBlob, randomImage, unknownDigest } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { asRecord, type ConformanceEnv, expectChallenge, expectOciError, expectStatus, startConformanceEnv } from './support.js';

/** OCI Distribution Spec v1.1, "Content Management": deleting tags, manifests and blobs. */

describe.each(testDialects())('content management (%s)', (dialect) => {
  let env: ConformanceEnv;
  beforeAll(async () => {
    env = await startConformanceEnv(dialect);
  });
  afterAll(async () => {
    await env?.close();
  });

  async function tagsOf(repo: string): Promise<string[]> {
    const res = await env.alice.get(`/v2/${repo}/tags/list`);
    expectStatus(res, 200);
    return asRecord(res.json())['tags'] as string[];
  }

  it('DELETE of a tag is 202; the tag then 404s and leaves the tag list; other tags stay', async () => {
    const repo = env.repo('deltag');
    const image = randomImage(1);
    await env.alice.pushImage(repo, 'keep', image);
    expectStatus(await env.alice.putManifest(repo, 'drop', image.manifest), 201);
    const del = await env.alice.delete(`/v2/${repo}/manifests/drop`);
    expectStatus(del, 202);
    expectOciError(await env.alice.getManifest(repo, 'drop'), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await env.alice.headManifest(repo, 'drop'), 404, 'MANIFEST_UNKNOWN');
    expect(await tagsOf(repo)).toEqual(['keep']);
    expectStatus(await env.alice.getManifest(repo, 'keep'), 200);
  });

  it('DELETE of a manifest by digest is 202; the digest and every tag on it then 404', async () => {
    const repo = env.repo('delmanifest');
    const image = randomImage(1);
    const other = randomImage(1);
    await env.alice.pushImage(repo, 'a', image);
    expectStatus(await env.alice.putManifest(repo, 'b', image.manifest), 201);
    await env.alice.pushImage(repo, 'other', other);
    const del = await env.alice.delete(`/v2/${repo}/manifests/${image.manifest.digest}`);
    expectStatus(del, 202);
    expectOciError(await env.alice.getManifest(repo, image.manifest.digest), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await env.alice.headManifest(repo, image.manifest.digest), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await env.alice.getManifest(repo, 'a'), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await env.alice.getManifest(repo, 'b'), 404, 'MANIFEST_UNKNOWN');
    expect(await tagsOf(repo)).toEqual(['other']);
    expectStatus(await env.alice.getManifest(repo, 'other'), 200);
  });

  it('a deleted manifest can be pushed again', async () => {
    const repo = env.repo('repush');
    const image = randomImage(1);
    await env.alice.pushImage(repo, 'v1', image);
    expectStatus(await env.alice.delete(`/v2/${repo}/manifests/${image.manifest.digest}`), 202);
    expectStatus(await env.alice.putManifest(repo, 'v1', image.manifest), 201);
    const get = await env.alice.getManifest(repo, 'v1');
    expectStatus(get, 200);
    expect(get.body.equals(image.manifest.bytes)).toBe(true);
  });

  it('a deleted referrer leaves the referrers list', async () => {
    const repo = env.repo('delreferrer');
    const image = randomImage(1);
    await env.alice.pushImage(repo, 'v1', image);
    const artifact = artifactManifest({
      artifactType: 'application/spdx+json',
      blobMediaType: 'application/spdx+json',
      subject: manifestDescriptor(image.manifest),
    });
    await env.alice.pushImage(repo, artifact.manifest.digest, artifact);
    const before = asRecord((await env.alice.get(`/v2/${repo}/referrers/${image.manifest.digest}`)).json());
    expect((before['manifests'] as unknown[]).length).toBe(1);
    expectStatus(await env.alice.delete(`/v2/${repo}/manifests/${artifact.manifest.digest}`), 202);
    const after = await env.alice.get(`/v2/${repo}/referrers/${image.manifest.digest}`);
    expectStatus(after, 200);
    expect(asRecord(after.json())['manifests']).toEqual([]);
  });

  it('after the subject is deleted, its referrers API still answers 200 with an index', async () => {
    const repo = env.repo('delsubject');
    const image = randomImage(1);
    await env.alice.pushImage(repo, 'v1', image);
    const artifact = artifactManifest({
      artifactType: 'application/spdx+json',
      blobMediaType: 'application/spdx+json',
      subject: manifestDescriptor(image.manifest),
    });
    await env.alice.pushImage(repo, artifact.manifest.digest, artifact);
    expectStatus(await env.alice.delete(`/v2/${repo}/manifests/${image.manifest.digest}`), 202);
    const res = await env.alice.get(`/v2/${repo}/referrers/${image.manifest.digest}`);
    expectStatus(res, 200);
    expect(res.header('content-type')).toBe('application/vnd.oci.image.index.v1+json');
    expect(Array.isArray(asRecord(res.json())['manifests'])).toBe(true);
  });

  it('DELETE of a blob is 202; it then 404s with BLOB_UNKNOWN', async () => {
    const repo = env.repo('delblob');
    const blob = randomBlob();
    const keep = randomBlob();
    await env.alice.pushBlob(repo, blob);
    await env.alice.pushBlob(repo, keep);
    const del = await env.alice.delete(`/v2/${repo}/blobs/${blob.digest}`);
    expectStatus(del, 202);
    expectOciError(await env.alice.get(`/v2/${repo}/blobs/${blob.digest}`), 404, 'BLOB_UNKNOWN');
    expectOciError(await env.alice.head(`/v2/${repo}/blobs/${blob.digest}`), 404, 'BLOB_UNKNOWN');
    expectStatus(await env.alice.head(`/v2/${repo}/blobs/${keep.digest}`), 200);
    // A second delete finds nothing.
    expectOciError(await env.alice.delete(`/v2/${repo}/blobs/${blob.digest}`), 404, 'BLOB_UNKNOWN');
  });

  it('deleting a blob from one repository leaves it in another that holds it', async () => {
    const first = env.repo('delshared1');
    const second = env.repo('delshared2');
    const blob = randomBlob();
    await env.alice.pushBlob(first, blob);
    await env.alice.pushBlob(second, blob);
    expectStatus(await env.alice.delete(`/v2/${first}/blobs/${blob.digest}`), 202);
    expectOciError(await env.alice.head(`/v2/${first}/blobs/${blob.digest}`), 404, 'BLOB_UNKNOWN');
    const res = await env.alice.get(`/v2/${second}/blobs/${blob.digest}`);
    expectStatus(res, 200);
    expect(res.body.equals(blob.data)).toBe(true);
  });

  it('DELETE of unknown things is 404 with the matching code', async () => {
    const repo = env.repo('delunknown');
    await env.alice.pushImage(repo, 'v1', randomImage(1));
    expectOciError(await env.alice.delete(`/v2/${repo}/manifests/nosuchtag`), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await env.alice.delete(`/v2/${repo}/manifests/${unknownDigest()}`), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await env.alice.delete(`/v2/${repo}/blobs/${unknownDigest()}`), 404, 'BLOB_UNKNOWN');
    const missing = env.repo('delnorepo');
    expectOciError(await env.alice.delete(`/v2/${missing}/manifests/${unknownDigest()}`), 404, [
      'NAME_UNKNOWN',
      'MANIFEST_UNKNOWN',
    ]);
    expectOciError(await env.alice.delete(`/v2/${missing}/blobs/${unknownDigest()}`), 404, ['NAME_UNKNOWN', 'BLOB_UNKNOWN']);
  });

  it('DELETE needs write access: anonymous gets 401, another user is refused', async () => {
    const repo = env.repo('delauth');
    const image = randomImage(1);
    await env.alice.pushImage(repo, 'v1', image);
    expectChallenge(await env.anonymous.delete(`/v2/${repo}/manifests/v1`), env.registry.host);
    const bob = await env.bob.delete(`/v2/${repo}/manifests/${image.manifest.digest}`);
    expectOciError(bob, [401, 403, 404], ['DENIED', 'UNAUTHORIZED', 'NAME_UNKNOWN']);
    // Read-only access (public repository) does not allow deletes either.
    await env.makePublic(repo);
    const bobPublic = await env.bob.delete(`/v2/${repo}/blobs/${image.blobs[0]!.digest}`);
    expectOciError(bobPublic, [401, 403], ['DENIED', 'UNAUTHORIZED']);
    expectStatus(await env.alice.getManifest(repo, 'v1'), 200);
    expectStatus(await env.alice.head(`/v2/${repo}/blobs/${image.blobs[0]!.digest}`), 200);
  });
});
