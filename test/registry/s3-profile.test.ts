import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialects } from '../helpers/databases.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { randomBlob, randomImage } from '../helpers/blobs.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { startS3rver, type TestS3Server } from '../helpers/s3rver.js';

/** The scale-out storage profile: blobs in an S3-compatible bucket (s3rver), metadata in each dialect. */
describe.each(testDialects())('registry on S3 storage (%s)', (dialect) => {
  let s3: TestS3Server;
  let proxied: TestRegistry;
  let redirecting: TestRegistry;

  function storageConfig(proxyStorage: boolean): Record<string, unknown> {
    return {
      DISTRIBUTED_STORAGE_CONFIG: {
        s3_local: [
          'S3Storage',
          {
            s3_bucket: s3.bucket,
            s3_access_key: s3.accessKeyId,
            s3_secret_key: s3.secretAccessKey,
            endpoint_url: s3.endpoint,
            storage_path: '/registry',
          },
        ],
      },
      DISTRIBUTED_STORAGE_PREFERENCE: ['s3_local'],
      FEATURE_PROXY_STORAGE: proxyStorage,
    };
  }

  beforeAll(async () => {
    s3 = await startS3rver();
    proxied = await startTestRegistry({ dialect, overrides: storageConfig(true) });
    redirecting = await startTestRegistry({ dialect, overrides: storageConfig(false) });
    await proxied.createUser('alice', 'alice-password-1');
    await redirecting.createUser('alice', 'alice-password-1');
  });

  afterAll(async () => {
    await proxied?.close();
    await redirecting?.close();
    await s3?.stop();
  });

  it('pushes chunked and monolithic blobs into the bucket and streams them back', async () => {
    const client = new RegistryClient(proxied.url, basicAuth('alice', 'alice-password-1'));
    const image = randomImage(3, 200_000);
    await client.pushImage('alice/s3/app', 'v1', image);
    const big = randomBlob(3 * 1024 * 1024 + 17);
    const chunked = await client.uploadChunked('alice/s3/app', big, 1024 * 1024);
    expect(chunked.at(-1)?.status).toBe(201);
    const back = await client.get(`/v2/alice/s3/app/blobs/${big.digest}`);
    expect(back.status).toBe(200);
    expect(back.body.equals(big.data)).toBe(true);
    const range = await client.get(`/v2/alice/s3/app/blobs/${big.digest}`, { headers: { Range: 'bytes=10-19' } });
    expect(range.status).toBe(206);
    expect(range.body.equals(big.data.subarray(10, 20))).toBe(true);
    const manifest = await client.getManifest('alice/s3/app', 'v1');
    expect(manifest.body.equals(image.manifest.bytes)).toBe(true);
  });

  it('redirects blob downloads to a presigned URL when FEATURE_PROXY_STORAGE is off', async () => {
    const client = new RegistryClient(redirecting.url, basicAuth('alice', 'alice-password-1'));
    const blob = randomBlob(50_000);
    expect((await client.uploadSinglePost('alice/direct', blob)).status).toBe(201);
    const res = await client.get(`/v2/alice/direct/blobs/${blob.digest}`);
    expect(res.status).toBe(307);
    const location = res.header('location') ?? '';
    expect(location.startsWith(s3.endpoint)).toBe(true);
    expect(location).toContain('X-Amz-Signature=');
    const fromBucket = Buffer.from(await (await fetch(location)).arrayBuffer());
    expect(fromBucket.equals(blob.data)).toBe(true);
  });
});
