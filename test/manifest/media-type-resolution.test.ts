import { describe, expect, it } from 'vitest';
import { Invalid, Unsupported } from '../../src/errors.js';
import { MediaTypes, parseManifest } from '../../src/manifest/index.js';
import { bytesOf, defaultPolicy, dockerImage, ociImage, ociIndex, thrownBy } from './fixtures.js';

const SCHEMA1_MESSAGE = 'schema 1 manifests are not supported; push schema 2 or OCI';

function withoutMediaType<T extends { mediaType?: string }>(body: T): Omit<T, 'mediaType'> {
  const { mediaType: _dropped, ...rest } = body;
  return rest;
}

const schema1Signed = {
  schemaVersion: 1,
  name: 'library/busybox',
  tag: 'latest',
  architecture: 'amd64',
  fsLayers: [{ blobSum: 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4' }],
  history: [{ v1Compatibility: '{"id":"x"}' }],
  signatures: [{ header: { alg: 'ES256' }, signature: 'sig', protected: 'prot' }],
};

describe('schema 1 manifests', () => {
  it.each([
    ['signed, by Content-Type', schema1Signed, MediaTypes.DOCKER_SCHEMA1_SIGNED_MANIFEST],
    ['unsigned, by Content-Type', { ...schema1Signed, signatures: undefined }, MediaTypes.DOCKER_SCHEMA1_MANIFEST],
    ['signed, by schemaVersion alone', schema1Signed, undefined],
    ['by schemaVersion with application/json', schema1Signed, 'application/json'],
  ])('are rejected as Unsupported: %s', (_name, body, contentType) => {
    const err = thrownBy(() => parseManifest(bytesOf(body), contentType, defaultPolicy));
    expect(err).toBeInstanceOf(Unsupported);
    expect(err.message).toBe(SCHEMA1_MESSAGE);
  });

  it('are rejected when the body declares the schema 1 media type', () => {
    const body = { schemaVersion: 2, mediaType: MediaTypes.DOCKER_SCHEMA1_MANIFEST };
    expect(thrownBy(() => parseManifest(bytesOf(body), undefined, defaultPolicy))).toBeInstanceOf(Unsupported);
  });

  it('are rejected as entries of a manifest list', () => {
    const list = {
      schemaVersion: 2,
      mediaType: MediaTypes.DOCKER_MANIFEST_LIST,
      manifests: [{ ...dockerImage().config, mediaType: MediaTypes.DOCKER_SCHEMA1_SIGNED_MANIFEST }],
    };
    const err = thrownBy(() => parseManifest(bytesOf(list), MediaTypes.DOCKER_MANIFEST_LIST, defaultPolicy));
    expect(err).toBeInstanceOf(Unsupported);
    expect(err.message).toBe(`manifests[0]: ${SCHEMA1_MESSAGE}`);
  });
});

describe('Content-Type versus the body mediaType', () => {
  it('ignores Content-Type parameters and case', () => {
    const parsed = parseManifest(bytesOf(ociImage()), 'Application/VND.oci.image.manifest.v1+json; charset=utf-8', defaultPolicy);
    expect(parsed.mediaType).toBe(MediaTypes.OCI_MANIFEST);
  });

  it('rejects a Content-Type that disagrees with the body', () => {
    const err = thrownBy(() => parseManifest(bytesOf(ociImage()), MediaTypes.DOCKER_MANIFEST, defaultPolicy));
    expect(err).toBeInstanceOf(Invalid);
    expect((err as Invalid).what).toBe('manifest');
    expect(err.message).toBe(
      `Content-Type "${MediaTypes.DOCKER_MANIFEST}" does not match the manifest's mediaType "${MediaTypes.OCI_MANIFEST}"`,
    );
  });

  it('rejects an index pushed as an image manifest', () => {
    const err = thrownBy(() => parseManifest(bytesOf(ociIndex()), MediaTypes.OCI_MANIFEST, defaultPolicy));
    expect(err).toBeInstanceOf(Invalid);
    expect(err.message).toMatch(/does not match/);
  });

  it('lets the body decide when the Content-Type is application/json or absent', () => {
    expect(parseManifest(bytesOf(dockerImage()), 'application/json', defaultPolicy).mediaType).toBe(MediaTypes.DOCKER_MANIFEST);
    expect(parseManifest(bytesOf(dockerImage()), undefined, defaultPolicy).mediaType).toBe(MediaTypes.DOCKER_MANIFEST);
    expect(parseManifest(bytesOf(dockerImage()), '', defaultPolicy).mediaType).toBe(MediaTypes.DOCKER_MANIFEST);
  });

  it('lets the Content-Type decide for an OCI body without mediaType', () => {
    const manifest = parseManifest(bytesOf(withoutMediaType(ociImage())), MediaTypes.OCI_MANIFEST, defaultPolicy);
    expect(manifest.mediaType).toBe(MediaTypes.OCI_MANIFEST);
    const index = parseManifest(bytesOf(withoutMediaType(ociIndex())), MediaTypes.OCI_INDEX, defaultPolicy);
    expect(index.mediaType).toBe(MediaTypes.OCI_INDEX);
    expect(index.kind).toBe('index');
  });

  it.each([undefined, 'application/json'])('infers the OCI kind from structure when neither says (Content-Type %s)', (contentType) => {
    const manifest = parseManifest(bytesOf(withoutMediaType(ociImage())), contentType, defaultPolicy);
    expect(manifest.mediaType).toBe(MediaTypes.OCI_MANIFEST);
    expect(manifest.kind).toBe('image');
    const index = parseManifest(bytesOf(withoutMediaType(ociIndex())), contentType, defaultPolicy);
    expect(index.mediaType).toBe(MediaTypes.OCI_INDEX);
    expect(index.kind).toBe('index');
  });

  it('rejects a body whose kind cannot be told', () => {
    const err = thrownBy(() => parseManifest(bytesOf({ schemaVersion: 2, layers: [] }), undefined, defaultPolicy));
    expect(err).toBeInstanceOf(Invalid);
    expect(err.message).toMatch(/cannot tell which kind of manifest/);
  });

  it('requires Docker manifests to carry mediaType in the body', () => {
    const err = thrownBy(() => parseManifest(bytesOf(withoutMediaType(dockerImage())), MediaTypes.DOCKER_MANIFEST, defaultPolicy));
    expect(err).toBeInstanceOf(Invalid);
    expect(err.message).toBe(`a ${MediaTypes.DOCKER_MANIFEST} manifest must declare its mediaType in the body`);
  });

  it('rejects an unknown manifest media type as Unsupported, naming it', () => {
    const fromHeader = thrownBy(() =>
      parseManifest(bytesOf(withoutMediaType(ociImage())), 'application/vnd.example.manifest.v9+json', defaultPolicy),
    );
    expect(fromHeader).toBeInstanceOf(Unsupported);
    expect(fromHeader.message).toMatch(/"application\/vnd.example.manifest.v9\+json" is not supported/);

    const fromBody = thrownBy(() =>
      parseManifest(bytesOf(ociImage({ mediaType: 'application/vnd.example.manifest.v9+json' })), undefined, defaultPolicy),
    );
    expect(fromBody).toBeInstanceOf(Unsupported);
  });

  it('rejects a non-string body mediaType', () => {
    const err = thrownBy(() => parseManifest(bytesOf(ociImage({ mediaType: 7 })), undefined, defaultPolicy));
    expect(err).toBeInstanceOf(Invalid);
    expect(err.message).toBe('mediaType must be a string, not a number');
  });
});
