import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Invalid, NotFound } from '../../src/errors.js';
import type { BlobStore, UploadState } from '../../src/storage/blob-store.js';
import {
  commitNewBlob,
  failingStream,
  GeneratedBlob,
  newUploadId,
  randomData,
  readAll,
  sha256Digest,
  sha256OfStream,
  uploadChunks,
} from './support.js';

export interface ContractSubject {
  store: BlobStore;
  cleanup(): Promise<void>;
}

export interface ContractTarget {
  name: string;
  create(): Promise<ContractSubject>;
  /** True when directDownloadUrl must return a URL that serves the blob; false when it must return null. */
  directDownload: boolean;
}

const LARGE_TEST_TIMEOUT = 120_000;

/** The behaviour every BlobStore driver promises, registered as one describe block per target. */
export function describeBlobStoreContract(target: ContractTarget): void {
  describe(`BlobStore contract: ${target.name}`, () => {
    let subject: ContractSubject | undefined;
    const store = (): BlobStore => {
      if (!subject) throw new Error('the store under test was not created');
      return subject.store;
    };

    beforeAll(async () => {
      subject = await target.create();
    });
    afterAll(async () => {
      await subject?.cleanup();
    });

    describe('uploads and commits', () => {
      it('commits an upload written in three chunks and reads it back whole and by ranges', async () => {
        const data = randomData(4500);
        const upload = await uploadChunks(store(), [data.subarray(0, 1000), data.subarray(1000, 3000), data.subarray(3000)]);
        const digest = sha256Digest(data);

        await store().commitUpload(upload, digest);

        expect(await store().stat(digest)).toBe(4500);
        expect((await readAll(store().read(digest))).equals(data)).toBe(true);
        expect(await readAll(store().read(digest, { start: 0, end: 0 }))).toEqual(data.subarray(0, 1));
        expect(await readAll(store().read(digest, { start: 10, end: 19 }))).toEqual(data.subarray(10, 20));
        expect(await readAll(store().read(digest, { start: 999, end: 3001 }))).toEqual(data.subarray(999, 3002));
        expect(await readAll(store().read(digest, { start: 4499, end: 4499 }))).toEqual(data.subarray(4499));
      });

      it('clamps a range whose end lies past the blob, and rejects one that starts past it', async () => {
        const data = randomData(300);
        const digest = await commitNewBlob(store(), data);

        expect(await readAll(store().read(digest, { start: 250, end: 10_000 }))).toEqual(data.subarray(250));
        await expect(store().read(digest, { start: 300, end: 400 })).rejects.toMatchObject({ what: 'range' });
        await expect(store().read(digest, { start: 20, end: 10 })).rejects.toBeInstanceOf(Invalid);
      });

      it('replaces a retried chunk, including a longer failed attempt at the same index and offset', async () => {
        const uploadId = newUploadId();
        const first = randomData(100);
        const junk = randomData(500);
        const second = randomData(200);
        await store().writeUploadChunk({ uploadId, index: 0, offset: 0 }, Readable.from([first]));
        await store().writeUploadChunk({ uploadId, index: 1, offset: 100 }, Readable.from([junk]));

        const written = await store().writeUploadChunk({ uploadId, index: 1, offset: 100 }, Readable.from([second]));

        expect(written).toBe(200);
        const upload: UploadState = { uploadId, chunkCount: 2, totalBytes: 300 };
        const expected = Buffer.concat([first, second]);
        expect((await readAll(store().readUpload(upload))).equals(expected)).toBe(true);
        await store().commitUpload(upload, sha256Digest(expected));
        expect((await readAll(store().read(sha256Digest(expected)))).equals(expected)).toBe(true);
      });

      it('keeps no partial chunk when the chunk stream fails, so a retry succeeds', async () => {
        const uploadId = newUploadId();
        const first = randomData(1000);
        const second = randomData(700);
        await store().writeUploadChunk({ uploadId, index: 0, offset: 0 }, Readable.from([first]));

        await expect(
          store().writeUploadChunk({ uploadId, index: 1, offset: 1000 }, failingStream(randomData(900))),
        ).rejects.toThrow('client went away');

        expect(await readAll(store().readUpload({ uploadId, chunkCount: 1, totalBytes: 1000 }))).toEqual(first);
        await store().writeUploadChunk({ uploadId, index: 1, offset: 1000 }, Readable.from([second]));
        const expected = Buffer.concat([first, second]);
        await store().commitUpload({ uploadId, chunkCount: 2, totalBytes: 1700 }, sha256Digest(expected));
        expect((await readAll(store().read(sha256Digest(expected)))).equals(expected)).toBe(true);
      });

      it('streams every chunk of an upload in order from readUpload', async () => {
        // 12 chunks: more than 9, so an ordering by name that is not zero-padded would show.
        const chunks = Array.from({ length: 12 }, (_, index) => randomData(10 + index * 7));
        const upload = await uploadChunks(store(), chunks);

        const readBack = await readAll(store().readUpload(upload));

        expect(readBack.equals(Buffer.concat(chunks))).toBe(true);
        await store().abortUpload(upload);
      });

      it('refuses a commit whose size does not match, publishes nothing and keeps the session', async () => {
        const data = randomData(300);
        const upload = await uploadChunks(store(), [data.subarray(0, 120), data.subarray(120)]);
        const digest = sha256Digest(data);

        await expect(store().commitUpload({ ...upload, totalBytes: 301 }, digest)).rejects.toMatchObject({
          what: 'upload',
        });
        await expect(store().commitUpload({ ...upload, totalBytes: 301 }, digest)).rejects.toBeInstanceOf(Invalid);

        expect(await store().stat(digest)).toBeNull();
        await expect(store().read(digest)).rejects.toBeInstanceOf(NotFound);
        expect((await readAll(store().readUpload(upload))).equals(data)).toBe(true);
        await store().commitUpload(upload, digest);
        expect(await store().stat(digest)).toBe(300);
      });

      it('refuses a single-chunk commit whose size does not match', async () => {
        const data = randomData(200);
        const upload = await uploadChunks(store(), [data]);
        const digest = sha256Digest(data);

        await expect(store().commitUpload({ ...upload, totalBytes: 199 }, digest)).rejects.toMatchObject({ what: 'upload' });

        expect(await store().stat(digest)).toBeNull();
        await store().abortUpload(upload);
      });

      it('is idempotent: committing again, or committing another upload of an existing blob, succeeds', async () => {
        const data = randomData(2048);
        const first = await uploadChunks(store(), [data]);
        const digest = sha256Digest(data);
        await store().commitUpload(first, digest);

        await store().commitUpload(first, digest);
        const second = await uploadChunks(store(), [data.subarray(0, 1024), data.subarray(1024)]);
        await store().commitUpload(second, digest);

        expect(await store().stat(digest)).toBe(2048);
        expect((await readAll(store().read(digest))).equals(data)).toBe(true);
        await expect(readAll(store().readUpload(second))).rejects.toBeInstanceOf(NotFound);
      });

      it('lets two uploads of the same content commit concurrently, storing one blob', async () => {
        const data = randomData(64 * 1024);
        const digest = sha256Digest(data);
        const [one, two] = await Promise.all([
          uploadChunks(store(), [data]),
          uploadChunks(store(), [data.subarray(0, 30_000), data.subarray(30_000)]),
        ]);

        await Promise.all([store().commitUpload(one, digest), store().commitUpload(two, digest)]);

        expect(await store().stat(digest)).toBe(data.length);
        expect((await readAll(store().read(digest))).equals(data)).toBe(true);
        await expect(readAll(store().readUpload(one))).rejects.toBeInstanceOf(NotFound);
        await expect(readAll(store().readUpload(two))).rejects.toBeInstanceOf(NotFound);
      });

      it('commits an empty blob for which no chunk was ever written', async () => {
        const empty = Buffer.alloc(0);
        const digest = sha256Digest(empty);

        await store().commitUpload({ uploadId: newUploadId(), chunkCount: 0, totalBytes: 0 }, digest);

        expect(await store().stat(digest)).toBe(0);
        expect((await readAll(store().read(digest))).length).toBe(0);
      });

      it('commits an empty chunk as an empty blob', async () => {
        const empty = Buffer.alloc(0);
        const upload = await uploadChunks(store(), [empty]);

        await store().commitUpload(upload, sha256Digest(empty));

        expect(await store().stat(sha256Digest(empty))).toBe(0);
      });

      it('reports a commit of an upload that holds nothing as NotFound', async () => {
        const digest = sha256Digest(randomData(10));
        await expect(
          store().commitUpload({ uploadId: newUploadId(), chunkCount: 1, totalBytes: 10 }, digest),
        ).rejects.toBeInstanceOf(NotFound);
        expect(await store().stat(digest)).toBeNull();
      });

      it('discards every part of an upload on abort, and tolerates aborting twice', async () => {
        const upload = await uploadChunks(store(), [randomData(50), randomData(60), randomData(70)]);

        await store().abortUpload(upload);

        await expect(readAll(store().readUpload(upload))).rejects.toBeInstanceOf(NotFound);
        await expect(store().commitUpload(upload, sha256Digest(randomData(180)))).rejects.toBeInstanceOf(NotFound);
        await store().abortUpload(upload);
      });

      it('refuses upload ids that could escape the upload area', async () => {
        for (const uploadId of ['../escape', 'a/b', '', 'x'.repeat(200), 'dot.dot']) {
          await expect(
            store().writeUploadChunk({ uploadId, index: 0, offset: 0 }, Readable.from([Buffer.from('x')])),
          ).rejects.toMatchObject({ what: 'upload' });
        }
      });

      it('refuses malformed digests', async () => {
        await expect(store().stat('sha256:../../etc/passwd')).rejects.toMatchObject({ what: 'digest' });
        await expect(store().read('nodigest')).rejects.toBeInstanceOf(Invalid);
      });
    });

    describe('committed blobs', () => {
      it('stats a missing blob as null and reading it throws NotFound', async () => {
        const digest = sha256Digest(randomData(16));
        expect(await store().stat(digest)).toBeNull();
        await expect(store().read(digest)).rejects.toMatchObject({ what: 'blob' });
        await expect(store().read(digest, { start: 0, end: 3 })).rejects.toBeInstanceOf(NotFound);
      });

      it('deletes a blob, and deleting an absent blob is not an error', async () => {
        const digest = await commitNewBlob(store(), randomData(500));
        expect(await store().stat(digest)).toBe(500);

        await store().delete(digest);

        expect(await store().stat(digest)).toBeNull();
        await expect(store().read(digest)).rejects.toBeInstanceOf(NotFound);
        await store().delete(digest);
      });

      it(
        target.directDownload
          ? 'hands out a presigned URL that serves the blob'
          : 'has no direct download URL (the registry serves the bytes)',
        async () => {
          const data = randomData(5000);
          const digest = await commitNewBlob(store(), data);

          const url = await store().directDownloadUrl(digest, 300);

          if (!target.directDownload) {
            expect(url).toBeNull();
            return;
          }
          expect(url).toMatch(/^https?:\/\//);
          const response = await fetch(url!);
          expect(response.status).toBe(200);
          expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
        },
      );
    });

    describe('large blobs', () => {
      it(
        'round-trips a 12 MiB blob written as one streamed chunk',
        async () => {
          const blob = GeneratedBlob.ofMiB(12, 1);
          const digest = blob.digest();
          const uploadId = newUploadId();

          const written = await store().writeUploadChunk({ uploadId, index: 0, offset: 0 }, blob.stream());
          await store().commitUpload({ uploadId, chunkCount: 1, totalBytes: written }, digest);

          expect(written).toBe(blob.size);
          expect(await store().stat(digest)).toBe(blob.size);
          expect(await sha256OfStream(await store().read(digest))).toEqual({ digest, bytes: blob.size });
        },
        LARGE_TEST_TIMEOUT,
      );

      it(
        'round-trips a 12 MiB blob written as a 10 MiB and a 2 MiB chunk',
        async () => {
          const blob = GeneratedBlob.ofMiB(12, 2);
          const digest = blob.digest();
          const uploadId = newUploadId();
          const firstBlocks = 160; // 10 MiB of 64 KiB blocks
          const firstBytes = blob.bytesOfBlocks(firstBlocks);

          await store().writeUploadChunk({ uploadId, index: 0, offset: 0 }, blob.stream(0, firstBlocks));
          await store().writeUploadChunk({ uploadId, index: 1, offset: firstBytes }, blob.stream(firstBlocks));
          const upload: UploadState = { uploadId, chunkCount: 2, totalBytes: blob.size };

          expect(await sha256OfStream(await store().readUpload(upload))).toEqual({ digest, bytes: blob.size });
          await store().commitUpload(upload, digest);
          expect(await sha256OfStream(await store().read(digest))).toEqual({ digest, bytes: blob.size });
          const tail = await readAll(store().read(digest, { start: blob.size - 10, end: blob.size - 1 }));
          const lastBlock = await readAll(blob.stream(blob.blockCount - 1));
          expect(tail).toEqual(lastBlock.subarray(lastBlock.length - 10));
        },
        LARGE_TEST_TIMEOUT,
      );
    });
  });
}
