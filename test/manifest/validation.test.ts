import { describe, expect, it } from 'vitest';
import { Invalid, TooLarge } from '../../src/errors.js';
import { MAX_MANIFEST_BYTES, MediaTypes, parseManifest } from '../../src/manifest/index.js';
import {
  blob,
  bytesOf,
  type DescriptorJson,
  defaultPolicy,
  dockerImage,
  EMPTY_CONFIG,
  ociImage,
  ociIndex,
  orasArtifact,
  thrownBy,
} from './fixtures.js';

function manifestError(bytes: Buffer, contentType: string | undefined = MediaTypes.OCI_MANIFEST): Invalid {
  const err = thrownBy(() => parseManifest(bytes, contentType, defaultPolicy));
  expect(err).toBeInstanceOf(Invalid);
  expect((err as Invalid).what).toBe('manifest');
  return err as Invalid;
}

function withLayer(layer: DescriptorJson): Buffer {
  return bytesOf(ociImage({ layers: [blob('fine', MediaTypes.OCI_LAYER_GZIP), layer] }));
}

describe('the manifest document', () => {
  it.each([
    ['an empty body', Buffer.alloc(0), 'the manifest body is empty'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'the manifest is not valid UTF-8'],
    ['a JSON array', Buffer.from('[]'), 'the manifest must be a JSON object'],
    ['a JSON string', Buffer.from('"hi"'), 'the manifest must be a JSON object'],
  ])('rejects %s', (_name, bytes, message) => {
    expect(manifestError(bytes).message).toBe(message);
  });

  it('rejects text that is not JSON', () => {
    expect(manifestError(Buffer.from('{"schemaVersion": 2,')).message).toMatch(/^the manifest is not valid JSON: /);
  });

  it('requires schemaVersion 2', () => {
    const { schemaVersion: _dropped, ...unversioned } = ociImage();
    expect(manifestError(bytesOf(unversioned)).message).toBe('schemaVersion is required');
    expect(manifestError(bytesOf(ociImage({ schemaVersion: 3 }))).message).toBe('schemaVersion must be 2, not 3');
    expect(manifestError(bytesOf(ociImage({ schemaVersion: '2' }))).message).toBe('schemaVersion must be 2, not "2"');
  });

  it('rejects a manifest larger than MAX_MANIFEST_BYTES before parsing it', () => {
    const err = thrownBy(() => parseManifest(Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20), undefined, defaultPolicy));
    expect(err).toBeInstanceOf(TooLarge);
    expect(MAX_MANIFEST_BYTES).toBe(4 * 1024 * 1024);
  });

  it('requires config and layers in image manifests', () => {
    const { config: _c, ...noConfig } = dockerImage();
    expect(manifestError(bytesOf(noConfig), MediaTypes.DOCKER_MANIFEST).message).toBe('config is required');
    const { layers: _l, ...noLayers } = dockerImage();
    expect(manifestError(bytesOf(noLayers), MediaTypes.DOCKER_MANIFEST).message).toBe('layers is required');
    expect(manifestError(bytesOf(ociImage({ layers: {} }))).message).toBe('layers must be an array, not an object');
    expect(manifestError(bytesOf(ociImage({ config: 'sha256:abc' }))).message).toBe('config must be an object, not a string');
  });

  it('requires manifests in an index', () => {
    const err = manifestError(bytesOf({ schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX }), MediaTypes.OCI_INDEX);
    expect(err.message).toBe('manifests is required');
  });

  it('requires annotation values to be strings', () => {
    expect(manifestError(bytesOf(ociImage({ annotations: { count: 3 } }))).message).toBe(
      'annotations["count"] must be a string, not a number',
    );
  });

  it('requires artifactType when the config is the OCI empty descriptor', () => {
    const { artifactType: _a, ...untyped } = orasArtifact();
    expect(manifestError(bytesOf(untyped)).message).toBe(
      `artifactType is required when the config is ${MediaTypes.OCI_EMPTY}`,
    );
  });

  it('rejects a malformed artifactType', () => {
    expect(manifestError(bytesOf({ ...orasArtifact(), artifactType: 'sbom' })).message).toBe(
      'artifactType "sbom" is not a media type (expected type/subtype)',
    );
  });
});

describe('descriptors', () => {
  const good = blob('content', MediaTypes.OCI_LAYER_GZIP);

  it.each([
    ['uppercase hex', { ...good, digest: String(good.digest).toUpperCase().replace('SHA256', 'sha256') }, /layers\[1\]\.digest ".*" is not a valid digest: sha256 needs 64 lowercase hex characters/],
    ['a truncated digest', { ...good, digest: 'sha256:1234' }, /^layers\[1\]\.digest "sha256:1234" is not a valid digest: sha256 needs 64/],
    ['an unknown algorithm', { ...good, digest: `md5:${'0'.repeat(32)}` }, /unsupported algorithm "md5"/],
    ['a digest without algorithm', { ...good, digest: '0'.repeat(64) }, /expected <algorithm>:<hex>/],
    ['a numeric digest', { ...good, digest: 12 }, /^layers\[1\]\.digest must be a string, not a number$/],
  ])('rejects %s', (_name, layer, message) => {
    const err = manifestError(withLayer(layer));
    expect(err.message).toMatch(message);
    expect(err.detail).toEqual({ field: 'layers[1].digest' });
  });

  it.each([
    ['negative', -1, 'layers[1].size must be a non-negative integer, not -1'],
    ['fractional', 1.5, 'layers[1].size must be a non-negative integer, not 1.5'],
    ['a string', '10', 'layers[1].size must be a non-negative integer, not "10"'],
    ['beyond safe integers', 2 ** 53, `layers[1].size must be a non-negative integer, not ${2 ** 53}`],
  ])('rejects a %s size', (_name, size, message) => {
    expect(manifestError(withLayer({ ...good, size })).message).toBe(message);
  });

  it('accepts a zero size', () => {
    const parsed = parseManifest(withLayer({ ...good, size: 0 }), MediaTypes.OCI_MANIFEST, defaultPolicy);
    expect(parsed.layers[1]?.size).toBe(0);
  });

  it('requires size, digest and mediaType', () => {
    const { size: _s, ...noSize } = good;
    expect(manifestError(withLayer(noSize)).message).toBe('layers[1].size is required');
    const { digest: _d, ...noDigest } = good;
    expect(manifestError(withLayer(noDigest)).message).toBe('layers[1].digest is required');
    const { mediaType: _m, ...noMediaType } = good;
    const err = manifestError(withLayer(noMediaType));
    expect(err.message).toBe('layers[1].mediaType is required');
    expect(err.detail).toEqual({ field: 'layers[1].mediaType' });
  });

  it('requires mediaType to be a type/subtype string', () => {
    expect(manifestError(withLayer({ ...good, mediaType: 42 })).message).toBe('layers[1].mediaType must be a string, not a number');
    expect(manifestError(withLayer({ ...good, mediaType: 'tarball' })).message).toBe(
      'layers[1].mediaType "tarball" is not a media type (expected type/subtype)',
    );
  });

  it('validates the config descriptor too', () => {
    const err = manifestError(bytesOf(ociImage({ config: { ...blob('cfg', MediaTypes.OCI_CONFIG), digest: 'sha256:nothex' } })));
    expect(err.message).toMatch(/^config\.digest "sha256:nothex" is not a valid digest/);
  });

  it('validates index entries and their platform', () => {
    const entry = blob('child', MediaTypes.OCI_MANIFEST);
    const badSize = manifestError(bytesOf(ociIndex({ manifests: [{ ...entry, size: -5 }] })), MediaTypes.OCI_INDEX);
    expect(badSize.message).toBe('manifests[0].size must be a non-negative integer, not -5');
    const noOs = manifestError(
      bytesOf(ociIndex({ manifests: [{ ...entry, platform: { architecture: 'amd64' } }] })),
      MediaTypes.OCI_INDEX,
    );
    expect(noOs.message).toBe('manifests[0].platform.os is required');
  });

  it('rejects index entries that are not manifests', () => {
    const layerEntry = blob('a-layer', MediaTypes.OCI_LAYER_GZIP);
    const err = manifestError(bytesOf(ociIndex({ manifests: [layerEntry] })), MediaTypes.OCI_INDEX);
    expect(err.message).toBe(
      `manifests[0].mediaType "${MediaTypes.OCI_LAYER_GZIP}" is not a manifest media type; index entries must be image manifests or indexes`,
    );
  });

  it('validates subject as a descriptor', () => {
    const err = manifestError(bytesOf(ociImage({ subject: { mediaType: MediaTypes.OCI_MANIFEST, size: 3 } })));
    expect(err.message).toBe('subject.digest is required');
  });

  it('requires urls to be an array of strings', () => {
    expect(manifestError(withLayer({ ...good, urls: 'https://example.com/x' })).message).toBe(
      'layers[1].urls must be an array, not a string',
    );
    expect(manifestError(withLayer({ ...good, urls: [1] })).message).toBe('layers[1].urls[0] must be a string, not a number');
  });

  it('checks embedded data against digest and size', () => {
    const parsed = parseManifest(bytesOf(orasArtifact()), MediaTypes.OCI_MANIFEST, defaultPolicy);
    expect(parsed.config?.digest).toBe(EMPTY_CONFIG.digest);

    const lying = { ...EMPTY_CONFIG, data: Buffer.from('{"a":1}').toString('base64') };
    expect(manifestError(bytesOf({ ...orasArtifact(), config: lying })).message).toBe(
      "config.data does not match the descriptor's digest and size",
    );
    expect(manifestError(bytesOf({ ...orasArtifact(), config: { ...EMPTY_CONFIG, data: 'not base64!' } })).message).toBe(
      'config.data must be base64',
    );
  });
});
