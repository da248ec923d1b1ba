import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { NotFound } from '../../src/errors.js';
import { createS3Client, S3CompatibleStorage, s3OptionsFromParams } from '../../src/storage/drivers/s3.js';
import { startS3rver, type TestS3Server } from '../helpers/s3rver.js';
import { describeBlobStoreContract } from './contract.js';
import { commitNewBlob, randomData, uploadChunks } from './support.js';

let s3rver: TestS3Server | undefined;
const server = (): TestS3Server => {
  if (!s3rver) throw new Error('s3rver is not running');
  return s3rver;
};

beforeAll(async () => {
  s3rver = await startS3rver();
});
afterAll(async () => {
  await s3rver?.stop();
});

function s3StorageParams(prefix: string): Record<string, unknown> {
  return {
    s3_bucket: server().bucket,
    storage_path: `/${prefix}/`,
    s3_access_key: server().accessKeyId,
    s3_secret_key: server().secretAccessKey,
    endpoint_url: server().endpoint,
  };
}

function radosParams(prefix: string): Record<string, unknown> {
  return {
    hostname: server().host,
    port: server().port,
    is_secure: false,
    access_key: server().accessKeyId,
    secret_key: server().secretAccessKey,
    bucket_name: server().bucket,
    storage_path: prefix,
  };
}

async function objectKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => object.Key ?? '').sort();
}

describeBlobStoreContract({
  name: 'S3Storage on s3rver',
  directDownload: true,
  async create() {
    const store = new S3CompatibleStorage('s3_us', 'S3Storage', s3StorageParams(`s3-${randomUUID()}`));
    return { store, cleanup: () => store.close() };
  },
});

describeBlobStoreContract({
  name: 'RadosGWStorage on s3rver',
  directDownload: true,
  async create() {
    const store = new S3CompatibleStorage('rgw_us', 'RadosGWStorage', radosParams(`rgw-${randomUUID()}`));
    return { store, cleanup: () => store.close() };
  },
});

/**
 * Optional: the same contract against a real S3-compatible server (MinIO, Ceph RGW, AWS), e.g.
 * QUAYSIDE_TEST_S3_ENDPOINT=http://127.0.0.1:9000 QUAYSIDE_TEST_S3_BUCKET=quayside-test
 * QUAYSIDE_TEST_S3_ACCESS_KEY=... QUAYSIDE_TEST_S3_SECRET_KEY=... [QUAYSIDE_TEST_S3_REGION=...]
 */
const external = process.env['QUAYSIDE_TEST_S3_ENDPOINT'];
if (external) {
  describeBlobStoreContract({
    name: `S3Storage on ${external}`,
    directDownload: true,
    async create() {
      const params = {
        s3_bucket: process.env['QUAYSIDE_TEST_S3_BUCKET'] ?? 'quayside-test',
        storage_path: `quayside-test-${randomUUID()}`,
        s3_access_key: process.env['QUAYSIDE_TEST_S3_ACCESS_KEY'],
        s3_secret_key: process.env['QUAYSIDE_TEST_S3_SECRET_KEY'],
        s3_region: process.env['QUAYSIDE_TEST_S3_REGION'],
        endpoint_url: external,
      };
      const store = new S3CompatibleStorage('external', 'S3Storage', params);
      const client = createS3Client(store.options);
      return {
        store,
        async cleanup() {
          for (const key of await objectKeys(client, store.options.bucket, `${store.options.prefix}/`)) {
            await client.send(new DeleteObjectCommand({ Bucket: store.options.bucket, Key: key }));
          }
          client.destroy();
          await store.close();
        },
      };
    },
  });
}

describe('S3-compatible object layout', () => {
  let store: S3CompatibleStorage;
  let client: S3Client;
  const prefix = `layout-${randomUUID()}`;

  beforeAll(() => {
    store = new S3CompatibleStorage('s3_us', 'S3Storage', s3StorageParams(prefix));
    client = createS3Client(store.options);
  });
  afterAll(async () => {
    client.destroy();
    await store.close();
  });

  it('keeps chunks as zero-padded objects under <storage_path>/uploads/<uploadId>/', async () => {
    const upload = await uploadChunks(store, Array.from({ length: 11 }, () => randomData(5)));

    const keys = await objectKeys(client, server().bucket, `${prefix}/uploads/${upload.uploadId}/`);

    expect(keys).toHaveLength(11);
    expect(keys[0]).toBe(`${prefix}/uploads/${upload.uploadId}/00000000`);
    expect(keys[10]).toBe(`${prefix}/uploads/${upload.uploadId}/00000010`);
    await store.abortUpload(upload);
    expect(await objectKeys(client, server().bucket, `${prefix}/uploads/${upload.uploadId}/`)).toEqual([]);
  });

  it('publishes a blob at <storage_path>/<algorithm>/<2 hex>/<hex> and deletes the chunks', async () => {
    const digest = await commitNewBlob(store, randomData(300), 100);
    const hex = digest.slice('sha256:'.length);

    expect(await objectKeys(client, server().bucket, `${prefix}/sha256/`)).toContain(`${prefix}/sha256/${hex.slice(0, 2)}/${hex}`);
    expect(await objectKeys(client, server().bucket, `${prefix}/uploads/`)).toEqual([]);
  });

  it('presigns a path-style GET URL that expires', async () => {
    const digest = await commitNewBlob(store, randomData(10));
    const hex = digest.slice('sha256:'.length);

    const url = new URL((await store.directDownloadUrl(digest, 120))!);

    expect(url.origin).toBe(server().endpoint);
    expect(url.pathname).toBe(`/${server().bucket}/${prefix}/sha256/${hex.slice(0, 2)}/${hex}`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('120');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('S3-compatible errors', () => {
  it('reports a missing bucket as an error, not as a missing blob', async () => {
    const store = new S3CompatibleStorage('s3_us', 'S3Storage', { ...s3StorageParams('p'), s3_bucket: 'no-such-bucket' });
    const digest = `sha256:${'0'.repeat(64)}`;

    const failure = await store.read(digest).catch((err: unknown) => err);

    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(NotFound);
    expect((failure as Error).name).toBe('NoSuchBucket');
    await store.close();
  });
});

describe('S3-compatible driver parameters', () => {
  it('maps S3Storage parameters, building an https endpoint from host and port', () => {
    const options = s3OptionsFromParams('s3_us', 'S3Storage', {
      s3_bucket: 'registry',
      storage_path: '/datastorage/registry/',
      s3_access_key: 'AK',
      s3_secret_key: 'SK',
      aws_session_token: 'TOKEN',
      host: 's3.example.com',
      port: 8443,
      s3_region: 'eu-west-1',
      signature_version: 's3v4',
    });
    expect(options).toEqual({
      bucket: 'registry',
      prefix: 'datastorage/registry',
      region: 'eu-west-1',
      endpoint: 'https://s3.example.com:8443',
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'TOKEN' },
    });
  });

  it('leaves AWS endpoints and credentials to the SDK when S3Storage names none', () => {
    const options = s3OptionsFromParams('s3_us', 'S3Storage', { s3_bucket: 'registry' });
    expect(options).toEqual({ bucket: 'registry', prefix: '', region: 'us-east-1', endpoint: undefined, credentials: undefined });
  });

  it('prefers endpoint_url over host', () => {
    const options = s3OptionsFromParams('s3_us', 'S3Storage', {
      s3_bucket: 'b',
      endpoint_url: 'http://minio.internal:9000',
      host: 'ignored.example.com',
    });
    expect(options.endpoint).toBe('http://minio.internal:9000');
  });

  it('maps RadosGWStorage and RHOCSStorage parameters, honouring is_secure', () => {
    const params = {
      hostname: 'rgw.internal',
      is_secure: 'false',
      port: '7480',
      access_key: 'AK',
      secret_key: 'SK',
      bucket_name: 'quay',
      storage_path: '/registry',
    };
    for (const driver of ['RadosGWStorage', 'RHOCSStorage'] as const) {
      expect(s3OptionsFromParams('ceph', driver, params)).toEqual({
        bucket: 'quay',
        prefix: 'registry',
        region: 'us-east-1',
        endpoint: 'http://rgw.internal:7480',
        credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' },
      });
    }
    const secure = s3OptionsFromParams('odf', 'RHOCSStorage', { ...params, is_secure: true, port: 443, region_name: 'local' });
    expect(secure.endpoint).toBe('https://rgw.internal');
    expect(secure.region).toBe('local');
  });

  it('reports missing or malformed parameters as ConfigError naming the location', () => {
    expect(() => s3OptionsFromParams('ceph', 'RadosGWStorage', { hostname: 'h', access_key: 'a', secret_key: 's' })).toThrow(
      /ceph \(RadosGWStorage\): bucket_name is required/,
    );
    expect(() => s3OptionsFromParams('s3_us', 'S3Storage', { s3_bucket: 'b', s3_access_key: 'only-one' })).toThrow(ConfigError);
    expect(() => s3OptionsFromParams('s3_us', 'S3Storage', { s3_bucket: 'b', signature_version: 's3' })).toThrow(
      /signature_version/,
    );
    expect(() => s3OptionsFromParams('ceph', 'RadosGWStorage', { hostname: 'h', bucket_name: 'b', port: 'http' })).toThrow(/port/);
    expect(() => s3OptionsFromParams('ceph', 'RadosGWStorage', { hostname: 'h', bucket_name: 'b', is_secure: 'maybe' })).toThrow(
      /is_secure/,
    );
  });
});
