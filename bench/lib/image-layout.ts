import { createHash, randomFillSync } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The image for the skopeo scenario, written as an OCI image layout: `layers` layers whose
 * sizes grow linearly (weights 1, 2, ... layers-1, then 1.5 × layers for the last one: 5 to 45 MB and
 * 75 MB for 10 layers and 300 MB), `totalBytes`
 * in all. Each layer is a real tar (one directory, one file of random bytes) in a gzip stream at
 * level 0 (stored blocks): valid `tar+gzip` that costs nothing to produce and that skopeo copies
 * as it is, without recompressing (a plain `tar` layer would be gzipped by skopeo on push, and
 * we would measure Go's deflate instead of the registries).
 */

const LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
const CONFIG = 'application/vnd.oci.image.config.v1+json';
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function tarHeader(name: string, size: number, type: '0' | '5'): Buffer {
  const header = Buffer.alloc(512, 0);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(type === '5' ? 0o755 : 0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(1_700_000_000, 12), 136, 'ascii');
  header.fill(0x20, 148, 156);
  header.write(type, 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}

/** A tar with `bench/` and `bench/layer-N.bin` of `payload` random bytes. */
function layerTar(index: number, payload: number): Buffer {
  const content = Buffer.allocUnsafe(payload);
  randomFillSync(content);
  const pad = (512 - (payload % 512)) % 512;
  return Buffer.concat([
    tarHeader('bench/', 0, '5'),
    tarHeader(`bench/layer-${index}.bin`, payload, '0'),
    content,
    Buffer.alloc(pad + 1024, 0),
  ]);
}

export interface BuiltLayout {
  dir: string;
  tag: string;
  totalBytes: number;
  layers: number;
  manifestDigest: string;
}

export function layerSizes(layers: number, totalBytes: number): number[] {
  const weights = Array.from({ length: layers }, (_, i) => (i === layers - 1 ? Math.round(layers * 1.5) : i + 1));
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => Math.max(1024, Math.floor((w / sum) * totalBytes)));
}

export async function writeImageLayout(dir: string, layers: number, totalBytes: number, tag = 'v1'): Promise<BuiltLayout> {
  const blobs = path.join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const layerDescriptors: Array<{ mediaType: string; digest: string; size: number }> = [];
  const diffIds: string[] = [];
  let total = 0;
  for (const [index, size] of layerSizes(layers, totalBytes).entries()) {
    const tar = layerTar(index, size);
    diffIds.push(`sha256:${sha256(tar)}`);
    const gz = gzipSync(tar, { level: 0 });
    const hex = sha256(gz);
    await writeFile(path.join(blobs, hex), gz);
    layerDescriptors.push({ mediaType: LAYER_GZIP, digest: `sha256:${hex}`, size: gz.length });
    total += gz.length;
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/true'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
    }),
  );
  const configHex = sha256(config);
  await writeFile(path.join(blobs, configHex), config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: { mediaType: CONFIG, digest: `sha256:${configHex}`, size: config.length },
      layers: layerDescriptors,
    }),
  );
  const manifestHex = sha256(manifest);
  await writeFile(path.join(blobs, manifestHex), manifest);
  await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: MANIFEST,
          digest: `sha256:${manifestHex}`,
          size: manifest.length,
          annotations: { 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  return { dir, tag, totalBytes: total, layers, manifestDigest: `sha256:${manifestHex}` };
}
