import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A plain-HTTP relay in front of a test registry, standing in for a misbehaving remote: it can
 * answer some tags with a manifest that is not JSON, and hold every blob download for a while (so
 * a test can act while a sync is between blobs), or break blob downloads off mid-stream. Everything
 * else passes through unchanged.
 */
export interface Relay {
  /** host:port, for an external_reference. */
  host: string;
  /** Tags whose manifest GET answers a truncated JSON document. */
  corruptTags: Set<string>;
  /** Blob downloads break off after half their bytes (the connection closes). */
  truncateBlobs: boolean;
  /** Delay before each blob download is forwarded. */
  blobDelayMs: number;
  /** Blob downloads seen so far. */
  blobRequests: number;
  /** Resolves when the next blob download arrives. */
  nextBlobRequest(): Promise<void>;
  close(): Promise<void>;
}

const MANIFEST_PATH = /^\/v2\/.+\/manifests\/([^/?]+)/;
const BLOB_PATH = /^\/v2\/.+\/blobs\/sha256:[a-f0-9]{64}/;

export async function startRelay(targetOrigin: string): Promise<Relay> {
  const target = new URL(targetOrigin);
  let waiters: Array<() => void> = [];

  const forward = (req: IncomingMessage, res: ServerResponse, truncate = false) => {
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const length = Number(answer.headers['content-length']);
        if (!truncate || !(length > 1)) {
          answer.pipe(res);
          return;
        }
        let sent = 0;
        answer.on('data', (chunk: Buffer) => {
          const room = Math.floor(length / 2) - sent;
          if (room > 0) res.write(chunk.subarray(0, room));
          sent += Math.min(room, chunk.length);
          if (sent >= Math.floor(length / 2)) {
            answer.destroy();
            res.socket?.destroy();
          }
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  };

  const relay: Relay = {
    host: '',
    corruptTags: new Set(),
    truncateBlobs: false,
    blobDelayMs: 0,
    blobRequests: 0,
    nextBlobRequest: () => new Promise((resolve) => waiters.push(resolve)),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const tag = MANIFEST_PATH.exec(url)?.[1];
    if (tag !== undefined && relay.corruptTags.has(tag)) {
      const body = '{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": ';
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (req.method === 'GET' && BLOB_PATH.test(url)) {
      relay.blobRequests++;
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
      setTimeout(() => forward(req, res, relay.truncateBlobs), relay.blobDelayMs);
      return;
    }
    forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return relay;
}
