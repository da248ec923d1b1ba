import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Blob, randomBlob } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import type { RegistryClient, RegistryResponse } from '../helpers/http.js';
import { type ProcessEnv, scanBlobFiles, startProcessEnv } from './support.js';

/**
 * Issue 2 §8: two clients pushing the same blob at once both succeed, and the storage holds one
 * copy of it.
 */

describe.each(testDialects())('concurrent pushes of one blob (%s)', (dialect) => {
  let env: ProcessEnv;
  beforeAll(async () => {
    env = await startProcessEnv(dialect);
  }, 120_000);
  afterAll(async () => {
    await env?.close();
  });

  async function expectOneCopy(blob: Blob): Promise<void> {
    const scan = await scanBlobFiles(env.server.storageDir);
    expect(scan.bad).toEqual([]);
    const hex = blob.digest.slice('sha256:'.length);
    expect(scan.good.filter((name) => name === hex).length, `copies of ${blob.digest} in storage`).toBe(1);
  }

  /** Chunked upload whose steps interleave with another client's: all PATCHes, then the PUT. */
  async function startChunked(client: RegistryClient, repo: string): Promise<string> {
    const post = await client.startUpload(repo);
    expect(post.status, post.describe()).toBe(202);
    return client.location(post);
  }

  async function patch(client: RegistryClient, location: string, blob: Blob, start: number, end: number) {
    const res = await client.patchChunk(location, blob.data.subarray(start, end), start);
    expect(res.status, res.describe()).toBe(202);
    return client.location(res);
  }

  for (const layout of ['same repository', 'two repositories'] as const) {
    it(`interleaved chunked uploads of identical content into ${layout} both succeed`, async () => {
      for (let round = 0; round < 3; round++) {
        const blob = randomBlob(1_000_000 + round);
        const repoA = `alice/concurrent-${layout === 'same repository' ? 'same' : 'a'}`;
        const repoB = layout === 'same repository' ? repoA : 'alice/concurrent-b';
        const a = env.alice();
        const b = env.alice();
        let [locA, locB] = await Promise.all([startChunked(a, repoA), startChunked(b, repoB)]);
        const size = blob.size;
        const cut = [0, 250_000, 500_000, 750_000, size];
        for (let i = 0; i < cut.length - 2; i++) {
          [locA, locB] = await Promise.all([
            patch(a, locA, blob, cut[i]!, cut[i + 1]!),
            patch(b, locB, blob, cut[i]!, cut[i + 1]!),
          ]);
        }
        const last = cut.length - 2;
        const [putA, putB]: RegistryResponse[] = await Promise.all([
          a.closeUpload(locA, blob.digest, blob.data.subarray(cut[last]!), cut[last]!),
          b.closeUpload(locB, blob.digest, blob.data.subarray(cut[last]!), cut[last]!),
        ]);
        for (const put of [putA!, putB!]) {
          expect(put.status, put.describe()).toBe(201);
          expect(put.header('docker-content-digest')).toBe(blob.digest);
        }
        for (const [client, repo] of [
          [a, repoA],
          [b, repoB],
        ] as const) {
          const get = await client.get(`/v2/${repo}/blobs/${blob.digest}`);
          expect(get.status, get.describe()).toBe(200);
          expect(get.body.equals(blob.data)).toBe(true);
        }
        await expectOneCopy(blob);
      }
    });
  }

  it('eight simultaneous monolithic pushes of one blob all succeed with one stored copy', async () => {
    const blob = randomBlob(2_000_000);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => env.alice().uploadPostPut(`alice/stampede-${i % 3}`, blob)),
    );
    for (const res of results) {
      expect(res.status, res.describe()).toBe(201);
      expect(res.header('docker-content-digest')).toBe(blob.digest);
    }
    await expectOneCopy(blob);
    for (let i = 0; i < 3; i++) {
      const get = await env.alice().get(`/v2/alice/stampede-${i}/blobs/${blob.digest}`);
      expect(get.status, get.describe()).toBe(200);
      expect(get.body.equals(blob.data)).toBe(true);
    }
  });

  it('simultaneous single-POST pushes of one blob all succeed', async () => {
    const blob = randomBlob(500_000);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => env.alice().uploadSinglePost('alice/single-post-race', blob)),
    );
    for (const res of results) expect(res.status, res.describe()).toBe(201);
    await expectOneCopy(blob);
  });
});
