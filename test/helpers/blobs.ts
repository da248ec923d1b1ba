import { createHash, randomBytes } from 'node:crypto';

/** Content builders for registry tests: random blobs and manifest / index / artifact JSON. */

export const MEDIA_TYPES = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export function sha256Digest(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export interface Blob {
  data: Buffer;
  digest: string;
  size: number;
}

export function blobOf(data: Buffer | string): Blob {
  const buffer = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  return { data: buffer, digest: sha256Digest(buffer), size: buffer.length };
}

/** Random bytes of the given size (default 1-4 KiB). */
export function randomBlob(size: number = 1024 + Math.floor(Math.random() * 3072)): Blob {
  return blobOf(randomBytes(size));
}

/** A digest nobody uploaded. */
export function unknownDigest(): string {
  return sha256Digest(randomBytes(32));
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string; variant?: string };
}

export function descriptorOf(blob: Blob, mediaType: string): Descriptor {
  return { mediaType, digest: blob.digest, size: blob.size };
}

/** A manifest as pushed: the exact bytes, their digest and the media type to send as Content-Type. */
export interface BuiltManifest {
  bytes: Buffer;
  digest: string;
  size: number;
  mediaType: string;
  json: Record<string, unknown>;
}

function built(json: Record<string, unknown>, mediaType: string, indent?: number): BuiltManifest {
  const bytes = Buffer.from(JSON.stringify(json, null, indent), 'utf8');
  return { bytes, digest: sha256Digest(bytes), size: bytes.length, mediaType, json };
}

/** The descriptor of a built manifest, for indexes and `subject` fields. */
export function manifestDescriptor(manifest: BuiltManifest, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size, ...extra };
}

/** A small OCI image config blob. */
export function imageConfigBlob(architecture = 'amd64', os = 'linux'): Blob {
  return blobOf(
    JSON.stringify({
      architecture,
      os,
      created: '2024-01-01T00:00:00Z',
      rootfs: { type: 'layers', diff_ids: [] },
      config: { Env: [`RANDOM=${randomBytes(8).toString('hex')}`] },
    }),
  );
}

/** The OCI empty descriptor's content `{}`. */
export const EMPTY_CONFIG: Blob = blobOf('{}');

export interface ImageManifestOptions {
  config: Blob;
  layers: Blob[];
  configMediaType?: string;
  layerMediaType?: string;
  artifactType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
  /** Pretty-print with this indent, to check that bytes are stored exactly as pushed. */
  indent?: number;
}

export function imageManifest(options: ImageManifestOptions): BuiltManifest {
  const json: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
  };
  if (options.artifactType) json['artifactType'] = options.artifactType;
  json['config'] = descriptorOf(options.config, options.configMediaType ?? MEDIA_TYPES.ociConfig);
  json['layers'] = options.layers.map((l) => descriptorOf(l, options.layerMediaType ?? MEDIA_TYPES.ociLayer));
  if (options.subject) json['subject'] = options.subject;
  if (options.annotations) json['annotations'] = options.annotations;
  return built(json, MEDIA_TYPES.ociManifest, options.indent);
}

export function dockerManifest(config: Blob, layers: Blob[]): BuiltManifest {
  return built(
    {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerManifest,
      config: descriptorOf(config, MEDIA_TYPES.dockerConfig),
      layers: layers.map((l) => descriptorOf(l, MEDIA_TYPES.dockerLayer)),
    },
    MEDIA_TYPES.dockerManifest,
  );
}

export interface IndexOptions {
  manifests: Descriptor[];
  artifactType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
  mediaType?: typeof MEDIA_TYPES.ociIndex | typeof MEDIA_TYPES.dockerList;
}

export function imageIndex(options: IndexOptions): BuiltManifest {
  const mediaType = options.mediaType ?? MEDIA_TYPES.ociIndex;
  const json: Record<string, unknown> = { schemaVersion: 2, mediaType };
  if (options.artifactType) json['artifactType'] = options.artifactType;
  json['manifests'] = options.manifests;
  if (options.subject) json['subject'] = options.subject;
  if (options.annotations) json['annotations'] = options.annotations;
  return built(json, mediaType);
}

export interface ArtifactOptions {
  artifactType: string;
  /** Layer blobs; default: one random blob. */
  blobs?: Blob[];
  blobMediaType?: string;
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An OCI 1.1 artifact: artifactType set, empty config. Returns the manifest and every blob it needs. */
export function artifactManifest(options: ArtifactOptions): { manifest: BuiltManifest; blobs: Blob[] } {
  const layers = options.blobs ?? [randomBlob(256)];
  const manifestOptions: ImageManifestOptions = {
    config: EMPTY_CONFIG,
    configMediaType: MEDIA_TYPES.ociEmpty,
    layers,
    layerMediaType: options.blobMediaType ?? 'application/octet-stream',
    artifactType: options.artifactType,
  };
  if (options.subject) manifestOptions.subject = options.subject;
  if (options.annotations) manifestOptions.annotations = options.annotations;
  return { manifest: imageManifest(manifestOptions), blobs: [EMPTY_CONFIG, ...layers] };
}

/** A random single-platform image: config, `layerCount` layers and its manifest. */
export function randomImage(layerCount = 2, layerSize?: number): { manifest: BuiltManifest; blobs: Blob[] } {
  const config = imageConfigBlob();
  const layers = Array.from({ length: layerCount }, () => randomBlob(layerSize));
  return { manifest: imageManifest({ config, layers }), blobs: [config, ...layers] };
}
