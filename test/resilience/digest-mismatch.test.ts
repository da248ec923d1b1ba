import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Blob, randomBlob, unknownDigest } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { errorCodes, type RegistryResponse } from '../helpers/http.js';
import { allStorageFiles, type ProcessEnv, scanBlobFiles, startProcessEnv } from './support.js';

/** Issue 2 §8: a digest mismatch returns DIGEST_INVALID and stores nothing. */

describe.each(testDialects())('digest mismatch stores nothing (%s)', (dialect) => {
  let env: ProcessEnv;
  beforeAll(async () => {
    env = await startProcessEnv(dialect);
  }, 120_000);
  afterAll(async () => {
    await env?.close();
  });

  const repo = 'alice/mismatch';

  function expectDigestInvalid(res: RegistryResponse): void {
    expect(res.status, res.describe()).toBe(400);
    expect(errorCodes(res)).toEqual(['DIGEST_INVALID']);
  }

  async function expectAbsent(digests: string[]): Promise<void> {
    const client = env.alice();
    for (const digest of digests) {
      const head = await client.head(`/v2/${repo}/blobs/${digest}`);
      expect(head.status, head.describe()).toBe(404);
    }
    const scan = await scanBlobFiles(env.server.storageDir);
    expect(scan.bad).toEqual([]);
    for (const digest of digests) expect(scan.good).not.toContain(digest.slice('sha256:'.length));
  }

  /** After a failed commit the session is either gone or cancellable; then no upload parts remain. */
  async function expectNoLeftovers(locations: string[]): Promise<void> {
    const client = env.alice();
    for (const location of locations) {
      const status = await client.uploadStatus(location);
      if (status.status === 204) expect((await client.cancelUpload(location)).status).toBe(204);
      else expect(errorCodes(status), status.describe()).toEqual(['BLOB_UPLOAD_UNKNOWN']);
    }
    const files = (await allStorageFiles(env.server.storageDir)).filter((f) => !f.startsWith('sha256'));
    expect(files, 'upload parts left in storage').toEqual([]);
  }

  it('POST+PUT, single POST and chunked uploads with a wrong digest: 400 DIGEST_INVALID, no blob file, HEAD 404', async () => {
    const client = env.alice();
    // Something legitimate in the repository first, so the repository exists.
    const ok = randomBlob(1000);
    expect((await client.uploadPostPut(repo, ok)).status).toBe(201);
    const before = await scanBlobFiles(env.server.storageDir);

    const blobs: Blob[] = [randomBlob(200_000), randomBlob(200_000), randomBlob(300_000)];
    const claimed = [unknownDigest(), unknownDigest(), unknownDigest()];
    const locations: string[] = [];

    const post = await client.startUpload(repo);
    locations.push(client.location(post));
    expectDigestInvalid(await client.closeUpload(client.location(post), claimed[0]!, blobs[0]!.data));

    expectDigestInvalid(await client.uploadSinglePost(repo, blobs[1]!, claimed[1]!));

    const chunked = await client.uploadChunked(repo, blobs[2]!, 100_000, { digest: claimed[2]! });
    expect(chunked.slice(0, -1).map((r) => r.status)).toEqual([202, 202, 202, 202]);
    expectDigestInvalid(chunked.at(-1)!);
    locations.push(client.location(chunked.at(-2)!));

    const all = [...claimed, ...blobs.map((b) => b.digest)];
    await expectAbsent(all);
    const after = await scanBlobFiles(env.server.storageDir);
    expect(after.good.sort()).toEqual(before.good.sort());
    await expectNoLeftovers(locations);

    // Still nothing after a restart (no lazily committed state).
    await env.server.stop();
    await env.server.restart();
    await expectAbsent(all);
  });

  it('the right digest after a wrong one: a fresh upload of the same bytes succeeds', async () => {
    const client = env.alice();
    const blob = randomBlob(100_000);
    expectDigestInvalid(await client.uploadPostPut(repo, blob, unknownDigest()));
    const res = await client.uploadPostPut(repo, blob);
    expect(res.status, res.describe()).toBe(201);
    const get = await client.get(`/v2/${repo}/blobs/${blob.digest}`);
    expect(get.body.equals(blob.data)).toBe(true);
  });
});
