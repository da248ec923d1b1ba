import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBlob } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { errorCodes, type RegistryClient } from '../helpers/http.js';
import { delay, type ProcessEnv, scanBlobFiles, stalledPatch, startProcessEnv } from './support.js';

/**
 * Issue 2 §8: an upload survives a server restart. The design makes upload sessions resumable
 * (they live in the database and the blob store), so after a restart the status GET reports the
 * bytes received and the client continues from there.
 */

describe.each(testDialects())('upload across a server restart (%s)', (dialect) => {
  let env: ProcessEnv;
  beforeAll(async () => {
    env = await startProcessEnv(dialect);
  }, 120_000);
  afterAll(async () => {
    await env?.close();
  });

  async function resumeAndFinish(client: RegistryClient, location: string, blob: ReturnType<typeof randomBlob>, from: number) {
    const mid = Math.min(blob.size, from + Math.floor((blob.size - from) / 2));
    let loc = location;
    if (mid > from) {
      const patch = await client.patchChunk(loc, blob.data.subarray(from, mid), from);
      expect(patch.status, patch.describe()).toBe(202);
      expect(patch.header('range')).toBe(`0-${mid - 1}`);
      loc = client.location(patch);
    }
    const put = await client.closeUpload(loc, blob.digest, blob.data.subarray(mid), mid);
    expect(put.status, put.describe()).toBe(201);
    expect(put.header('docker-content-digest')).toBe(blob.digest);
    const get = await client.get(new URL(client.location(put), client.baseUrl).pathname);
    expect(get.status, get.describe()).toBe(200);
    expect(get.body.equals(blob.data)).toBe(true);
  }

  for (const how of ['SIGTERM', 'SIGKILL'] as const) {
    it(`resumes after ${how} between chunks: status GET gives the Range, PATCH + PUT complete it`, async () => {
      const repo = `alice/resume-${how.toLowerCase()}`;
      const blob = randomBlob(300_000);
      const client = env.alice();
      const post = await client.startUpload(repo);
      expect(post.status, post.describe()).toBe(202);
      const first = await client.patchChunk(client.location(post), blob.data.subarray(0, 100_000), 0);
      expect(first.status, first.describe()).toBe(202);
      expect(first.header('range')).toBe('0-99999');
      const location = client.location(first);

      if (how === 'SIGTERM') await env.server.stop();
      else await env.server.kill9();
      await env.server.restart();

      const after = env.alice();
      const status = await after.uploadStatus(location);
      expect(status.status, `upload session lost over a restart: ${status.describe()}`).toBe(204);
      expect(status.header('range')).toBe('0-99999');
      await resumeAndFinish(after, after.location(status), blob, 100_000);
    });
  }

  it('kill -9 in the middle of a chunk: the session resumes at a consistent offset, or is cleanly unknown', async () => {
    const repo = 'alice/resume-midchunk';
    const blob = randomBlob(1_000_000);
    const client = env.alice();
    const post = await client.startUpload(repo);
    expect(post.status, post.describe()).toBe(202);
    const first = await client.patchChunk(client.location(post), blob.data.subarray(0, 200_000), 0);
    expect(first.status, first.describe()).toBe(202);
    const location = client.location(first);

    // Send 300 KB of a declared 800 KB chunk, then kill the server while it waits for the rest.
    const pending = stalledPatch(
      client.resolve(location),
      client.auth,
      blob.data.subarray(200_000, 500_000),
      800_000,
      `200000-${blob.size - 1}`,
    );
    await delay(300);
    await env.server.kill9();
    pending.abort();
    await pending.done;
    await env.server.restart();

    const after = env.alice();
    const status = await after.uploadStatus(location);
    if (status.status === 204) {
      const range = /^0-(\d+)$/.exec(status.header('range') ?? '');
      expect(range, `bad Range after restart: ${status.describe()}`).not.toBeNull();
      const received = Number(range![1]) + 1;
      // Acknowledged bytes are kept; at most the bytes actually sent were added.
      expect(received).toBeGreaterThanOrEqual(200_000);
      expect(received).toBeLessThanOrEqual(500_000);
      await resumeAndFinish(after, after.location(status), blob, received);
    } else {
      expect(status.status, status.describe()).toBe(404);
      expect(errorCodes(status)).toEqual(['BLOB_UPLOAD_UNKNOWN']);
      const retry = await after.uploadPostPut(repo, blob);
      expect(retry.status, retry.describe()).toBe(201);
    }
    const scan = await scanBlobFiles(env.server.storageDir);
    expect(scan.bad).toEqual([]);
  });

  it('a session cancelled before a restart stays gone after it', async () => {
    const repo = 'alice/resume-cancelled';
    const client = env.alice();
    const post = await client.startUpload(repo);
    const patch = await client.patchChunk(client.location(post), randomBlob(10_000).data, 0);
    expect(patch.status, patch.describe()).toBe(202);
    const location = client.location(patch);
    expect((await client.cancelUpload(location)).status).toBe(204);
    await env.server.stop();
    await env.server.restart();
    const status = await env.alice().uploadStatus(location);
    expect(status.status, status.describe()).toBe(404);
    expect(errorCodes(status)).toEqual(['BLOB_UPLOAD_UNKNOWN']);
  });

  it('a blob committed before a kill -9 is intact after the restart', async () => {
    const repo = 'alice/resume-committed';
    const blob = randomBlob(500_000);
    const client = env.alice();
    const put = await client.uploadPostPut(repo, blob);
    expect(put.status, put.describe()).toBe(201);
    await env.server.kill9();
    await env.server.restart();
    const get = await env.alice().get(`/v2/${repo}/blobs/${blob.digest}`);
    expect(get.status, get.describe()).toBe(200);
    expect(get.body.equals(blob.data)).toBe(true);
  });
});
