import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

export interface TestS3Server {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  host: string;
  port: number;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  stop(): Promise<void>;
}

/** Starts s3rver in-process on 127.0.0.1 and an ephemeral port, over a fresh temp dir and one empty bucket. */
export async function startS3rver(bucket = 'quayside-test'): Promise<TestS3Server> {
  const directory = await mkdtemp(path.join(tmpdir(), 'quayside-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  const host = '127.0.0.1';
  return {
    endpoint: `http://${host}:${address.port}`,
    host,
    port: address.port,
    bucket,
    // s3rver's built-in account
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
