import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { LocalStorage } from '../../src/storage/drivers/local.js';
import { describeBlobStoreContract } from './contract.js';
import { commitNewBlob, newUploadId, randomData, uploadChunks } from './support.js';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'quayside-local-storage-'));
}

describeBlobStoreContract({
  name: 'LocalStorage',
  directDownload: false,
  async create() {
    const dir = await tempDir();
    const store = new LocalStorage('local_us', { storage_path: dir });
    return {
      store,
      async cleanup() {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  },
});

describe('LocalStorage layout and guards', () => {
  let dir: string;
  let store: LocalStorage;

  beforeEach(async () => {
    dir = await tempDir();
    store = new LocalStorage('local_us', { storage_path: dir });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('stores a committed blob at its content path and removes the session file', async () => {
    const data = randomData(100);
    const digest = await commitNewBlob(store, data, 40);
    const hex = digest.slice('sha256:'.length);

    expect(await readFile(path.join(dir, 'sha256', hex.slice(0, 2), hex))).toEqual(data);
    expect(await readdir(path.join(dir, 'uploads'))).toEqual([]);
  });

  it('keeps an upload session as a single file under uploads/', async () => {
    const upload = await uploadChunks(store, [randomData(10), randomData(20)]);

    expect(await readdir(path.join(dir, 'uploads'))).toEqual([upload.uploadId]);
    expect((await stat(path.join(dir, 'uploads', upload.uploadId))).size).toBe(30);
  });

  it('refuses a chunk that would leave a hole after the bytes the upload holds', async () => {
    const uploadId = newUploadId();
    await store.writeUploadChunk({ uploadId, index: 0, offset: 0 }, Readable.from([randomData(10)]));

    await expect(
      store.writeUploadChunk({ uploadId, index: 1, offset: 11 }, Readable.from([randomData(10)])),
    ).rejects.toMatchObject({ what: 'range' });
    expect((await stat(path.join(dir, 'uploads', uploadId))).size).toBe(10);
  });

  it('treats a directory at the path of a blob as a missing blob', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    await mkdir(path.join(dir, 'sha256', 'ab', 'ab'.repeat(32)), { recursive: true });

    expect(await store.stat(digest)).toBeNull();
    await expect(store.read(digest)).rejects.toMatchObject({ what: 'blob' });
  });

  it('needs an absolute storage_path', () => {
    expect(() => new LocalStorage('local_us', {})).toThrow(ConfigError);
    expect(() => new LocalStorage('local_us', { storage_path: 'relative/dir' })).toThrow(/absolute/);
  });
});
