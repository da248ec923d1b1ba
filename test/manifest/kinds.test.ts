import { describe, expect, it } from 'vitest';
import { computeDigest, MediaTypes, parseManifest } from '../../src/manifest/index.js';
import { blob, bytesOf, defaultPolicy, dockerImage, dockerList, ociImage, ociIndex, orasArtifact } from './fixtures.js';

describe('parseManifest: the four manifest kinds', () => {
  it('parses a Docker schema 2 image manifest', () => {
    const body = dockerImage([blob('layer-a', MediaTypes.DOCKER_LAYER_GZIP), blob('layer-bbb', MediaTypes.DOCKER_LAYER_GZIP)]);
    const bytes = bytesOf(body);
    const parsed = parseManifest(bytes, MediaTypes.DOCKER_MANIFEST, defaultPolicy);

    expect(parsed.mediaType).toBe(MediaTypes.DOCKER_MANIFEST);
    expect(parsed.kind).toBe('image');
    expect(parsed.digest).toBe(computeDigest(bytes));
    expect(parsed.size).toBe(bytes.length);
    expect(parsed.config).toEqual(body.config);
    expect(parsed.layers).toEqual(body.layers);
    expect(parsed.requiredBlobs.map((d) => d.digest)).toEqual([
      body.config.digest,
      body.layers[0]?.digest,
      body.layers[1]?.digest,
    ]);
    expect(parsed.children).toEqual([]);
    expect(parsed.artifactType).toBe(MediaTypes.DOCKER_CONFIG);
    expect(parsed.subject).toBeUndefined();
    expect(parsed.layersSize).toBe('layer-a'.length + 'layer-bbb'.length);
  });

  it('parses a Docker manifest list', () => {
    const body = dockerList();
    const parsed = parseManifest(bytesOf(body), MediaTypes.DOCKER_MANIFEST_LIST, defaultPolicy);

    expect(parsed.kind).toBe('index');
    expect(parsed.mediaType).toBe(MediaTypes.DOCKER_MANIFEST_LIST);
    expect(parsed.children).toEqual(body.manifests);
    expect(parsed.children[1]?.platform).toEqual({ architecture: 'amd64', os: 'windows', 'os.version': '10.0.17763.1' });
    expect(parsed.config).toBeUndefined();
    expect(parsed.layers).toEqual([]);
    expect(parsed.requiredBlobs).toEqual([]);
    expect(parsed.artifactType).toBeNull();
    expect(parsed.layersSize).toBe(0);
  });

  it('parses an OCI image manifest with annotations', () => {
    const body = ociImage({ annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' } });
    const parsed = parseManifest(bytesOf(body), MediaTypes.OCI_MANIFEST, defaultPolicy);

    expect(parsed.kind).toBe('image');
    expect(parsed.mediaType).toBe(MediaTypes.OCI_MANIFEST);
    expect(parsed.config?.mediaType).toBe(MediaTypes.OCI_CONFIG);
    expect(parsed.layers).toHaveLength(2);
    expect(parsed.requiredBlobs).toHaveLength(3);
    expect(parsed.artifactType).toBe(MediaTypes.OCI_CONFIG);
    expect(parsed.annotations).toEqual({ 'org.opencontainers.image.created': '2024-01-01T00:00:00Z' });
    expect(parsed.layersSize).toBe('oci-layer-a'.length + 'oci-layer-bb'.length);
  });

  it('parses an OCI 1.1 artifact manifest: artifactType and subject win over the empty config', () => {
    const body = orasArtifact();
    const parsed = parseManifest(bytesOf(body), MediaTypes.OCI_MANIFEST, defaultPolicy);

    expect(parsed.artifactType).toBe('application/vnd.example.sbom.v1');
    expect(parsed.subject).toEqual(body.subject);
    expect(parsed.config?.mediaType).toBe(MediaTypes.OCI_EMPTY);
    expect(parsed.config).not.toHaveProperty('data');
  });

  it('parses an OCI image index with artifactType, subject and annotations', () => {
    const subject = blob('signed-thing', MediaTypes.OCI_MANIFEST);
    const body = ociIndex({ artifactType: 'application/vnd.example.bundle.v1', subject, annotations: { a: 'b' } });
    const parsed = parseManifest(bytesOf(body), MediaTypes.OCI_INDEX, defaultPolicy);

    expect(parsed.kind).toBe('index');
    expect(parsed.children.map((c) => c.platform?.architecture)).toEqual(['amd64', 'arm64']);
    expect(parsed.children[1]?.platform?.variant).toBe('v8');
    expect(parsed.artifactType).toBe('application/vnd.example.bundle.v1');
    expect(parsed.subject).toEqual(subject);
    expect(parsed.annotations).toEqual({ a: 'b' });
    expect(parsed.requiredBlobs).toEqual([]);
  });

  it('reports a null artifactType for an OCI index without one', () => {
    expect(parseManifest(bytesOf(ociIndex()), MediaTypes.OCI_INDEX, defaultPolicy).artifactType).toBeNull();
  });

  it('ignores OCI-only fields on Docker manifests', () => {
    const body = { ...dockerImage(), annotations: { a: 'b' }, subject: blob('x', MediaTypes.OCI_MANIFEST) };
    const parsed = parseManifest(bytesOf(body), MediaTypes.DOCKER_MANIFEST, defaultPolicy);
    expect(parsed.annotations).toEqual({});
    expect(parsed.subject).toBeUndefined();
  });
});

describe('parseManifest: digest and size of the exact bytes', () => {
  it('gives whitespace variants of the same manifest different digests, each over its own bytes', () => {
    const compact = bytesOf(ociImage());
    const pretty = bytesOf(ociImage(), 3);
    const withTrailingNewline = Buffer.concat([compact, Buffer.from('\n')]);

    const digests = [compact, pretty, withTrailingNewline].map((bytes) => {
      const parsed = parseManifest(bytes, MediaTypes.OCI_MANIFEST, defaultPolicy);
      expect(parsed.digest).toBe(computeDigest(bytes));
      expect(parsed.size).toBe(bytes.length);
      return parsed.digest;
    });
    expect(new Set(digests).size).toBe(3);
  });

  it('counts bytes, not characters, for non-ASCII content', () => {
    const bytes = bytesOf(ociImage({ annotations: { description: 'café ☕' } }));
    const parsed = parseManifest(bytes, MediaTypes.OCI_MANIFEST, defaultPolicy);
    expect(parsed.size).toBe(bytes.length);
    expect(parsed.size).toBeGreaterThan(bytes.toString('utf8').length);
  });
});
