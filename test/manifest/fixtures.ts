import { computeDigest, DEFAULT_ALLOWED_ARTIFACT_TYPES, type ManifestPolicy, MediaTypes } from '../../src/manifest/index.js';

/** Manifest fixtures built in code; digests are real hashes of made-up content so they are well-formed. */

export interface DescriptorJson {
  mediaType?: unknown;
  digest?: unknown;
  size?: unknown;
  [key: string]: unknown;
}

export function blob(content: string, mediaType: string, extra: Record<string, unknown> = {}): DescriptorJson {
  return { mediaType, digest: computeDigest(content), size: Buffer.byteLength(content), ...extra };
}

export const defaultPolicy: ManifestPolicy = {
  generalOciSupport: true,
  helmOciSupport: true,
  allowedArtifactTypes: DEFAULT_ALLOWED_ARTIFACT_TYPES,
  ignoreUnknownMediaTypes: false,
};

export function policyWith(changes: Partial<ManifestPolicy>): ManifestPolicy {
  return { ...defaultPolicy, ...changes };
}

export function bytesOf(value: unknown, indent?: number): Buffer {
  return Buffer.from(JSON.stringify(value, null, indent));
}

export const EMPTY_CONFIG = blob('{}', MediaTypes.OCI_EMPTY, { data: 'e30=' });

export function dockerImage(layers: DescriptorJson[] = [blob('layer-a', MediaTypes.DOCKER_LAYER_GZIP)]) {
  return {
    schemaVersion: 2,
    mediaType: MediaTypes.DOCKER_MANIFEST,
    config: blob('docker-config', MediaTypes.DOCKER_CONFIG),
    layers,
  };
}

export function ociImage(overrides: Record<string, unknown> = {}) {
  return {
    schemaVersion: 2,
    mediaType: MediaTypes.OCI_MANIFEST,
    config: blob('oci-config', MediaTypes.OCI_CONFIG),
    layers: [blob('oci-layer-a', MediaTypes.OCI_LAYER_GZIP), blob('oci-layer-bb', MediaTypes.OCI_LAYER_GZIP)],
    ...overrides,
  };
}

export function ociIndex(overrides: Record<string, unknown> = {}) {
  return {
    schemaVersion: 2,
    mediaType: MediaTypes.OCI_INDEX,
    manifests: [
      blob('amd64-manifest', MediaTypes.OCI_MANIFEST, { platform: { architecture: 'amd64', os: 'linux' } }),
      blob('arm64-manifest', MediaTypes.OCI_MANIFEST, { platform: { architecture: 'arm64', os: 'linux', variant: 'v8' } }),
    ],
    ...overrides,
  };
}

export function dockerList() {
  return {
    schemaVersion: 2,
    mediaType: MediaTypes.DOCKER_MANIFEST_LIST,
    manifests: [
      blob('docker-amd64', MediaTypes.DOCKER_MANIFEST, { platform: { architecture: 'amd64', os: 'linux' } }),
      blob('docker-windows', MediaTypes.DOCKER_MANIFEST, {
        platform: { architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.1' },
      }),
    ],
  };
}

export function helmChart() {
  return {
    schemaVersion: 2,
    config: blob('{"name":"mychart","version":"0.1.0"}', MediaTypes.HELM_CONFIG),
    layers: [blob('chart-tgz', MediaTypes.HELM_CHART_CONTENT)],
  };
}

/** What `cosign sign` (legacy tag-based format) pushes. */
export function cosignSignature() {
  return {
    schemaVersion: 2,
    mediaType: MediaTypes.OCI_MANIFEST,
    config: blob('cosign-config', MediaTypes.OCI_CONFIG),
    layers: [
      blob('simplesigning-payload', MediaTypes.COSIGN_SIMPLESIGNING, {
        annotations: { 'dev.cosignproject.cosign/signature': 'MEUCIQ...' },
      }),
    ],
  };
}

/** What `oras push --artifact-type` / `oras attach` push with OCI 1.1: empty config, the type in artifactType. */
export function orasArtifact(layerMediaType = 'application/vnd.example.readme.v1+markdown') {
  return {
    schemaVersion: 2,
    mediaType: MediaTypes.OCI_MANIFEST,
    artifactType: 'application/vnd.example.sbom.v1',
    config: EMPTY_CONFIG,
    layers: [blob('readme', layerMediaType, { annotations: { 'org.opencontainers.image.title': 'README.md' } })],
    subject: blob('subject-manifest', MediaTypes.OCI_MANIFEST),
  };
}

/** Runs `action` and returns what it threw; fails the test when it throws nothing. */
export function thrownBy(action: () => unknown): Error {
  try {
    action();
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`threw a non-Error: ${String(err)}`);
  }
  throw new Error('expected an error, but nothing was thrown');
}
