import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * Builds OCI image layouts (https://github.com/opencontainers/image-spec/blob/main/image-layout.md)
 * on disk without a container daemon: layers are tar archives written here and gzipped with
 * node:zlib; config, manifests and indexes are JSON whose digests and sizes are computed from the
 * exact bytes written. skopeo, podman and oras read the result through `oci:DIR:TAG` references.
 */

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export function sha256Digest(bytes: Buffer | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

// ---------------------------------------------------------------------------------------------
// A minimal ustar writer: regular files, directories and symlinks, fixed owner and mtime so the
// same input always gives the same bytes.

export type TarEntry =
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'file'; path: string; content: Buffer | string; mode?: number }
  | { type: 'symlink'; path: string; target: string };

const BLOCK = 512;
const FIXED_MTIME = 1_700_000_000;

function writeString(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new Error(`tar: "${value}" does not fit in ${length} bytes`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  // length - 1 octal digits, then NUL
  writeString(header, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function splitName(name: string): { name: string; prefix: string } {
  if (Buffer.byteLength(name) <= 100) return { name, prefix: '' };
  const cut = name.lastIndexOf('/', 155);
  if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`tar: path too long: ${name}`);
  return { name: name.slice(cut + 1), prefix: name.slice(0, cut) };
}

function tarHeader(entry: TarEntry, size: number): Buffer {
  const header = Buffer.alloc(BLOCK, 0);
  const entryPath = entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const { name, prefix } = splitName(entryPath);
  const mode = entry.type === 'symlink' ? 0o777 : (entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644));
  writeString(header, 0, 100, name);
  writeOctal(header, 100, 8, mode);
  writeOctal(header, 108, 8, 0); // uid
  writeOctal(header, 116, 8, 0); // gid
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, FIXED_MTIME);
  header.fill(0x20, 148, 156); // checksum field counts as spaces while summing
  writeString(header, 156, 1, entry.type === 'file' ? '0' : entry.type === 'dir' ? '5' : '2');
  if (entry.type === 'symlink') writeString(header, 157, 100, entry.target);
  writeString(header, 257, 6, 'ustar\0');
  writeString(header, 263, 2, '00');
  writeString(header, 265, 32, 'root');
  writeString(header, 297, 32, 'root');
  writeString(header, 345, 155, prefix);
  let sum = 0;
  for (const byte of header) sum += byte;
  writeString(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return header;
}

/** An uncompressed tar archive of the entries, in order, closed by two zero blocks. */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = entry.type === 'file' ? Buffer.from(entry.content) : Buffer.alloc(0);
    parts.push(tarHeader(entry, content.length));
    if (content.length > 0) {
      parts.push(content);
      const pad = (BLOCK - (content.length % BLOCK)) % BLOCK;
      if (pad > 0) parts.push(Buffer.alloc(pad, 0));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2, 0));
  return Buffer.concat(parts);
}

/** Deterministic pseudo-random bytes (incompressible, so layers have a real size). */
export function pseudoRandomBytes(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  let block = createHash('sha256').update(seed).digest();
  for (let offset = 0; offset < length; offset += block.length) {
    block.copy(out, offset, 0, Math.min(block.length, length - offset));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** A tiny root filesystem as one uncompressed tar, for `docker import` / `podman import`. */
export function rootfsTar(seed: string): Buffer {
  return tarArchive([
    { type: 'dir', path: 'etc' },
    { type: 'file', path: 'etc/quayside-e2e', content: `seed=${seed}\n` },
    { type: 'dir', path: 'data' },
    { type: 'file', path: 'data/payload.bin', content: pseudoRandomBytes(`${seed}/rootfs`, 24 * 1024) },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Images and indexes

export interface BuiltLayer extends Descriptor {
  /** sha256 of the uncompressed tar (the config's rootfs.diff_ids entry). */
  diffId: string;
}

export interface BuiltImage {
  platform: Platform;
  config: Buffer;
  configDescriptor: Descriptor;
  layers: BuiltLayer[];
  manifest: Buffer;
  manifestDescriptor: Descriptor;
}

export interface LayoutImage {
  dir: string;
  tag: string;
  /** `oci:DIR:TAG`, for skopeo and podman */
  ref: string;
  /** `DIR:TAG`, for oras --oci-layout / --from-oci-layout */
  orasRef: string;
  image: BuiltImage;
}

export interface LayoutIndex {
  dir: string;
  tag: string;
  ref: string;
  orasRef: string;
  index: Buffer;
  indexDescriptor: Descriptor;
  images: BuiltImage[];
}

/** Collects blobs for one layout directory and writes them at the end. */
class LayoutWriter {
  readonly blobs = new Map<string, Buffer>();

  add(bytes: Buffer): string {
    const digest = sha256Digest(bytes);
    this.blobs.set(digest, bytes);
    return digest;
  }

  async write(dir: string, refs: Descriptor[]): Promise<void> {
    const blobDir = path.join(dir, 'blobs', 'sha256');
    await mkdir(blobDir, { recursive: true });
    for (const [digest, bytes] of this.blobs) {
      await writeFile(path.join(blobDir, digest.slice('sha256:'.length)), bytes);
    }
    await writeFile(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: refs }, null, 2));
  }
}

function layerEntries(seed: string, platform: Platform): TarEntry[][] {
  return [
    [
      { type: 'dir', path: 'etc' },
      { type: 'file', path: 'etc/os-release', content: `NAME="Quayside e2e"\nID=quayside-e2e\nSEED=${seed}\n` },
      { type: 'file', path: 'etc/motd', content: 'layer one\n' },
      { type: 'dir', path: 'usr' },
      { type: 'dir', path: 'usr/share' },
    ],
    [
      { type: 'dir', path: 'app' },
      { type: 'file', path: 'app/data.bin', content: pseudoRandomBytes(`${seed}/${platform.architecture}/data`, 48 * 1024) },
      { type: 'file', path: 'app/run.sh', content: '#!/bin/sh\necho quayside\n', mode: 0o755 },
    ],
    [
      { type: 'dir', path: 'etc' },
      { type: 'file', path: 'etc/motd', content: `layer three (${platform.architecture})\n` },
      { type: 'symlink', path: 'app/current', target: 'data.bin' },
    ],
  ];
}

function buildImage(writer: LayoutWriter, seed: string, platform: Platform, layerCount: number): BuiltImage {
  const layers: BuiltLayer[] = [];
  for (const entries of layerEntries(seed, platform).slice(0, layerCount)) {
    const tar = tarArchive(entries);
    const gz = gzipSync(tar, { level: 6 });
    layers.push({ mediaType: MEDIA_TYPES.ociLayerGzip, digest: writer.add(gz), size: gz.length, diffId: sha256Digest(tar) });
  }
  const created = '2024-01-01T00:00:00Z';
  const configJson = {
    created,
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    config: {
      Env: ['PATH=/usr/local/bin:/usr/bin:/bin'],
      Cmd: ['/app/run.sh'],
      WorkingDir: '/app',
      Labels: { 'org.quayside.e2e.seed': seed },
    },
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
    history: layers.map((_, i) => ({ created, created_by: `quayside e2e layer ${i + 1}` })),
  };
  const config = Buffer.from(JSON.stringify(configJson));
  const configDescriptor: Descriptor = { mediaType: MEDIA_TYPES.ociConfig, digest: writer.add(config), size: config.length };
  const manifestJson = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: configDescriptor,
    layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
    annotations: { 'org.opencontainers.image.created': created },
  };
  const manifest = Buffer.from(JSON.stringify(manifestJson, null, 2));
  const manifestDescriptor: Descriptor = { mediaType: MEDIA_TYPES.ociManifest, digest: writer.add(manifest), size: manifest.length };
  return { platform, config, configDescriptor, layers, manifest, manifestDescriptor };
}

export interface ImageOptions {
  tag?: string;
  /** Makes the content unique (file contents and config label). */
  seed?: string;
  /** 1 to 3; default 3 */
  layers?: number;
  platform?: Platform;
}

/** Writes an OCI layout holding one single-platform image with (by default) three gzip layers. */
export async function createImageLayout(dir: string, options: ImageOptions = {}): Promise<LayoutImage> {
  const tag = options.tag ?? 'v1';
  const writer = new LayoutWriter();
  const image = buildImage(
    writer,
    options.seed ?? 'quayside',
    options.platform ?? { architecture: 'amd64', os: 'linux' },
    options.layers ?? 3,
  );
  await writer.write(dir, [{ ...image.manifestDescriptor, annotations: { [REF_NAME_ANNOTATION]: tag } }]);
  return { dir, tag, ref: `oci:${dir}:${tag}`, orasRef: `${dir}:${tag}`, image };
}

/** Writes an OCI layout whose tag names an image index of two platform images (linux/amd64, linux/arm64/v8). */
export async function createMultiArchLayout(dir: string, options: { tag?: string; seed?: string } = {}): Promise<LayoutIndex> {
  const tag = options.tag ?? 'v1';
  const seed = options.seed ?? 'quayside-multiarch';
  const writer = new LayoutWriter();
  const platforms: Platform[] = [
    { architecture: 'amd64', os: 'linux' },
    { architecture: 'arm64', os: 'linux', variant: 'v8' },
  ];
  const images = platforms.map((platform) => buildImage(writer, seed, platform, 2));
  const indexJson = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: images.map((image) => ({ ...image.manifestDescriptor, platform: image.platform })),
  };
  const index = Buffer.from(JSON.stringify(indexJson, null, 2));
  const indexDescriptor: Descriptor = { mediaType: MEDIA_TYPES.ociIndex, digest: writer.add(index), size: index.length };
  await writer.write(dir, [{ ...indexDescriptor, annotations: { [REF_NAME_ANNOTATION]: tag } }]);
  return { dir, tag, ref: `oci:${dir}:${tag}`, orasRef: `${dir}:${tag}`, index, indexDescriptor, images };
}

// ---------------------------------------------------------------------------------------------
// Reading layouts written by clients

export interface ReadLayout {
  descriptors: Descriptor[];
  /** The descriptor index.json names with the given tag (ref.name annotation). */
  descriptorFor(tag: string): Descriptor;
  blob(digest: string): Promise<Buffer>;
  /** Every blob in blobs/sha256, by digest. */
  blobDigests(): Promise<string[]>;
}

export async function readLayout(dir: string): Promise<ReadLayout> {
  const index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as { manifests?: Descriptor[] };
  const descriptors = index.manifests ?? [];
  return {
    descriptors,
    descriptorFor(tag) {
      const found = descriptors.find((d) => d.annotations?.[REF_NAME_ANNOTATION] === tag);
      if (!found) throw new Error(`${dir}/index.json has no descriptor tagged ${tag}: ${JSON.stringify(descriptors)}`);
      return found;
    },
    async blob(digest) {
      const [algorithm, hex] = digest.split(':');
      return readFile(path.join(dir, 'blobs', algorithm ?? 'sha256', hex ?? ''));
    },
    async blobDigests() {
      const names = await readdir(path.join(dir, 'blobs', 'sha256'));
      return names.map((name) => `sha256:${name}`).sort();
    },
  };
}

/** Throws unless every blob file in the layout hashes to its own name. */
export async function verifyLayoutBlobs(dir: string): Promise<number> {
  const layout = await readLayout(dir);
  const digests = await layout.blobDigests();
  for (const digest of digests) {
    const actual = sha256Digest(await layout.blob(digest));
    if (actual !== digest) throw new Error(`${dir}: blob ${digest} hashes to ${actual}`);
  }
  return digests.length;
}
