import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { Invalid, Unsupported } from '../../src/errors.js';
import {
  DEFAULT_ALLOWED_ARTIFACT_TYPES,
  type ManifestPolicy,
  manifestPolicyFromConfig,
  MediaTypes,
  parseManifest,
} from '../../src/manifest/index.js';
import {
  blob,
  bytesOf,
  cosignSignature,
  defaultPolicy,
  dockerImage,
  helmChart,
  ociImage,
  ociIndex,
  orasArtifact,
  policyWith,
  thrownBy,
} from './fixtures.js';

const SIF_CONFIG = 'application/vnd.sylabs.sif.config.v1+json';
const SIF_LAYER = 'application/vnd.sylabs.sif.layer.v1+tar';
const UNKNOWN_CONFIG = 'application/vnd.example.widget.config.v1+json';

function parseWith(policy: ManifestPolicy, body: unknown, contentType: string = MediaTypes.OCI_MANIFEST) {
  return parseManifest(bytesOf(body), contentType, policy);
}

function rejection(policy: ManifestPolicy, body: unknown, contentType: string = MediaTypes.OCI_MANIFEST): Unsupported {
  const err = thrownBy(() => parseWith(policy, body, contentType));
  expect(err).toBeInstanceOf(Unsupported);
  return err as Unsupported;
}

function withConfig(configType: string, layerTypes: string[]) {
  return ociImage({
    config: blob('some-config', configType),
    layers: layerTypes.map((type, index) => blob(`layer-${index}`, type)),
  });
}

describe('container images', () => {
  it.each([
    ['OCI tar', MediaTypes.OCI_LAYER],
    ['OCI tar+gzip', MediaTypes.OCI_LAYER_GZIP],
    ['OCI tar+zstd', MediaTypes.OCI_LAYER_ZSTD],
    ['OCI non-distributable tar+zstd', MediaTypes.OCI_NONDISTRIBUTABLE_LAYER_ZSTD],
  ])('accepts %s layers in OCI images, even with OCI artifacts disabled', (_name, layerType) => {
    const parsed = parseWith(policyWith({ generalOciSupport: false }), withConfig(MediaTypes.OCI_CONFIG, [layerType]));
    expect(parsed.layers[0]?.mediaType).toBe(layerType);
  });

  it('accepts zstd layers in Docker manifests', () => {
    const body = dockerImage([blob('zstd-layer', MediaTypes.DOCKER_LAYER_ZSTD), blob('plain', MediaTypes.DOCKER_LAYER)]);
    const parsed = parseWith(defaultPolicy, body, MediaTypes.DOCKER_MANIFEST);
    expect(parsed.layers.map((l) => l.mediaType)).toEqual([MediaTypes.DOCKER_LAYER_ZSTD, MediaTypes.DOCKER_LAYER]);
  });

  it('accepts plain images and indexes with OCI artifacts disabled', () => {
    const policy = policyWith({ generalOciSupport: false, helmOciSupport: false });
    expect(parseWith(policy, dockerImage(), MediaTypes.DOCKER_MANIFEST).kind).toBe('image');
    expect(parseWith(policy, ociIndex(), MediaTypes.OCI_INDEX).kind).toBe('index');
  });

  it('rejects an unknown layer type in an image unless unknown types are ignored', () => {
    const body = withConfig(MediaTypes.OCI_CONFIG, [MediaTypes.OCI_LAYER_GZIP, 'application/vnd.example.blob.v1']);
    const err = rejection(defaultPolicy, body);
    expect(err.message).toMatch(
      /^layers\[1\] media type "application\/vnd\.example\.blob\.v1" is not allowed with config media type "application\/vnd\.oci\.image\.config\.v1\+json"; an administrator can allow it/,
    );
    expect(parseWith(policyWith({ ignoreUnknownMediaTypes: true }), body).layers).toHaveLength(2);
  });
});

describe('foreign layers', () => {
  const foreign = blob('windows-base', MediaTypes.DOCKER_FOREIGN_LAYER_GZIP, {
    urls: ['https://mcr.microsoft.com/v2/windows/blobs/sha256:abc'],
  });
  const local = blob('app-layer', MediaTypes.DOCKER_LAYER_GZIP);

  it('are excluded from requiredBlobs when they carry urls, but still counted as layers', () => {
    const body = dockerImage([foreign, local]);
    const parsed = parseWith(defaultPolicy, body, MediaTypes.DOCKER_MANIFEST);
    expect(parsed.layers).toHaveLength(2);
    expect(parsed.layers[0]?.urls).toEqual(foreign.urls);
    expect(parsed.requiredBlobs.map((d) => d.digest)).toEqual([body.config.digest, local.digest]);
    expect(parsed.layersSize).toBe('windows-base'.length + 'app-layer'.length);
  });

  it('are required like any blob when they have no urls', () => {
    const { urls: _u, ...bare } = foreign;
    const parsed = parseWith(defaultPolicy, dockerImage([bare, local]), MediaTypes.DOCKER_MANIFEST);
    expect(parsed.requiredBlobs.map((d) => d.digest)).toContain(bare.digest);
  });

  it('apply to OCI non-distributable layers too', () => {
    const nondistributable = blob('nd', MediaTypes.OCI_NONDISTRIBUTABLE_LAYER_GZIP, { urls: ['https://example.com/nd'] });
    const parsed = parseWith(defaultPolicy, ociImage({ layers: [nondistributable] }));
    expect(parsed.requiredBlobs.map((d) => d.mediaType)).toEqual([MediaTypes.OCI_CONFIG]);
  });

  it('do not exempt ordinary layers that happen to list urls', () => {
    const mirrored = blob('mirrored', MediaTypes.OCI_LAYER_GZIP, { urls: ['https://example.com/mirror'] });
    const parsed = parseWith(defaultPolicy, ociImage({ layers: [mirrored] }));
    expect(parsed.requiredBlobs.map((d) => d.digest)).toContain(mirrored.digest);
  });
});

describe('requiredBlobs', () => {
  it('lists each digest once, config first', () => {
    const empty = orasArtifact().config;
    const body = { ...orasArtifact(), layers: [empty, blob('payload', 'application/octet-stream'), empty] };
    const parsed = parseWith(defaultPolicy, body);
    expect(parsed.requiredBlobs.map((d) => d.digest)).toEqual([empty.digest, body.layers[1]?.digest]);
    expect(parsed.layers).toHaveLength(3);
  });
});

describe('Helm charts', () => {
  it('are accepted by default, with or without mediaType in the body', () => {
    const parsed = parseWith(defaultPolicy, helmChart());
    expect(parsed.artifactType).toBe(MediaTypes.HELM_CONFIG);
    expect(parseWith(defaultPolicy, { ...helmChart(), mediaType: MediaTypes.OCI_MANIFEST }, 'application/json').kind).toBe('image');
  });

  it('accept the legacy layer type and provenance files', () => {
    const body = withConfig(MediaTypes.HELM_CONFIG, [MediaTypes.HELM_CHART_LEGACY, MediaTypes.HELM_CHART_PROVENANCE]);
    expect(parseWith(defaultPolicy, body).layers).toHaveLength(2);
  });

  it('are rejected when FEATURE_HELM_OCI_SUPPORT is off', () => {
    const err = rejection(policyWith({ helmOciSupport: false }), helmChart());
    expect(err.message).toBe('Helm charts are not accepted by this registry (FEATURE_HELM_OCI_SUPPORT is off)');
  });

  it('are rejected when FEATURE_GENERAL_OCI_SUPPORT is off', () => {
    const err = rejection(policyWith({ generalOciSupport: false }), helmChart());
    expect(err.message).toMatch(/"application\/vnd\.cncf\.helm\.config\.v1\+json" is not a container image config/);
    expect(err.message).toMatch(/FEATURE_GENERAL_OCI_SUPPORT/);
  });

  it('reject layers of other types', () => {
    const err = rejection(defaultPolicy, withConfig(MediaTypes.HELM_CONFIG, [MediaTypes.COSIGN_SIMPLESIGNING]));
    expect(err.message).toMatch(/layers\[0\] media type "application\/vnd\.dev\.cosign\.simplesigning\.v1\+json"/);
  });
});

describe('signatures, SBOMs and attestations', () => {
  it('accepts a cosign signature', () => {
    const parsed = parseWith(defaultPolicy, cosignSignature());
    expect(parsed.layers[0]?.mediaType).toBe(MediaTypes.COSIGN_SIMPLESIGNING);
    expect(parsed.layers[0]?.annotations).toEqual({ 'dev.cosignproject.cosign/signature': 'MEUCIQ...' });
  });

  it.each([MediaTypes.DSSE_ENVELOPE, MediaTypes.IN_TOTO, MediaTypes.SPDX_JSON, MediaTypes.SYFT_JSON, MediaTypes.CYCLONEDX_JSON])(
    'accepts %s layers on an OCI image config',
    (layerType) => {
      expect(parseWith(defaultPolicy, withConfig(MediaTypes.OCI_CONFIG, [layerType])).layers[0]?.mediaType).toBe(layerType);
    },
  );

  it('rejects a cosign signature when OCI artifacts are disabled', () => {
    const err = rejection(policyWith({ generalOciSupport: false }), cosignSignature());
    expect(err.message).toMatch(/layers\[0\] media type "application\/vnd\.dev\.cosign\.simplesigning\.v1\+json" is not allowed/);
  });
});

describe('OCI 1.1 artifacts with the empty config', () => {
  it('accept any layer type, as oras and cosign bundles push them', () => {
    const parsed = parseWith(defaultPolicy, orasArtifact('application/vnd.dev.sigstore.bundle.v0.3+json'));
    expect(parsed.artifactType).toBe('application/vnd.example.sbom.v1');
    expect(parsed.layers[0]?.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
  });

  it('are rejected when OCI artifacts are disabled', () => {
    const err = rejection(policyWith({ generalOciSupport: false }), orasArtifact());
    expect(err.message).toMatch(/"application\/vnd\.oci\.empty\.v1\+json" is not a container image config/);
  });

  it('index artifacts are rejected when OCI artifacts are disabled', () => {
    const body = ociIndex({ artifactType: 'application/vnd.example.bundle.v1' });
    expect(parseWith(defaultPolicy, body, MediaTypes.OCI_INDEX).artifactType).toBe('application/vnd.example.bundle.v1');
    const err = rejection(policyWith({ generalOciSupport: false }), body, MediaTypes.OCI_INDEX);
    expect(err.message).toMatch(/index artifactType "application\/vnd\.example\.bundle\.v1" marks an OCI artifact/);
  });
});

describe('unknown config types', () => {
  it('are rejected, naming the media type', () => {
    const err = rejection(defaultPolicy, withConfig(UNKNOWN_CONFIG, [MediaTypes.OCI_LAYER]));
    expect(err.message).toBe(
      `config media type "${UNKNOWN_CONFIG}" is not an allowed artifact type; an administrator can allow it with ALLOWED_OCI_ARTIFACT_TYPES or IGNORE_UNKNOWN_MEDIATYPES`,
    );
  });

  it('are accepted, with any layers, when IGNORE_UNKNOWN_MEDIATYPES is on', () => {
    const parsed = parseWith(policyWith({ ignoreUnknownMediaTypes: true }), withConfig(UNKNOWN_CONFIG, ['application/x-whatever']));
    expect(parsed.artifactType).toBe(UNKNOWN_CONFIG);
  });

  it('stay rejected when IGNORE_UNKNOWN_MEDIATYPES is on but OCI artifacts are disabled', () => {
    const policy = policyWith({ ignoreUnknownMediaTypes: true, generalOciSupport: false });
    expect(rejection(policy, withConfig(UNKNOWN_CONFIG, [MediaTypes.OCI_LAYER])).message).toMatch(/FEATURE_GENERAL_OCI_SUPPORT/);
  });

  it('allow unknown index entry types only when IGNORE_UNKNOWN_MEDIATYPES is on', () => {
    const body = ociIndex({ manifests: [blob('weird', 'application/vnd.example.thing.v1+json')] });
    expect(thrownBy(() => parseWith(defaultPolicy, body, MediaTypes.OCI_INDEX))).toBeInstanceOf(Invalid);
    const parsed = parseWith(policyWith({ ignoreUnknownMediaTypes: true }), body, MediaTypes.OCI_INDEX);
    expect(parsed.children[0]?.mediaType).toBe('application/vnd.example.thing.v1+json');
  });
});

describe('ALLOWED_OCI_ARTIFACT_TYPES', () => {
  const sifOnly = policyWith({ allowedArtifactTypes: { [SIF_CONFIG]: [SIF_LAYER] } });

  it('adds custom artifact types such as SIF', () => {
    expect(rejection(defaultPolicy, withConfig(SIF_CONFIG, [SIF_LAYER])).message).toMatch(/is not an allowed artifact type/);
    expect(parseWith(sifOnly, withConfig(SIF_CONFIG, [SIF_LAYER])).artifactType).toBe(SIF_CONFIG);
  });

  it('allows only the listed layer types (plus filesystem layers) with a custom config', () => {
    expect(parseWith(sifOnly, withConfig(SIF_CONFIG, [MediaTypes.OCI_LAYER_GZIP])).layers).toHaveLength(1);
    expect(rejection(sifOnly, withConfig(SIF_CONFIG, ['application/vnd.example.other'])).message).toMatch(/layers\[0\]/);
  });

  it('replaces the default map, so cosign must be listed again, as in Quay', () => {
    expect(rejection(sifOnly, cosignSignature()).message).toMatch(/simplesigning/);
    const withCosign = policyWith({
      allowedArtifactTypes: { [SIF_CONFIG]: [SIF_LAYER], [MediaTypes.OCI_CONFIG]: [MediaTypes.COSIGN_SIMPLESIGNING] },
    });
    expect(parseWith(withCosign, cosignSignature()).kind).toBe('image');
  });

  it('keeps Helm governed by FEATURE_HELM_OCI_SUPPORT alone', () => {
    expect(parseWith(sifOnly, helmChart()).artifactType).toBe(MediaTypes.HELM_CONFIG);
  });

  it('is ignored when OCI artifacts are disabled', () => {
    const policy = policyWith({ generalOciSupport: false, allowedArtifactTypes: { [SIF_CONFIG]: [SIF_LAYER] } });
    expect(rejection(policy, withConfig(SIF_CONFIG, [SIF_LAYER])).message).toMatch(/FEATURE_GENERAL_OCI_SUPPORT/);
  });
});

describe('manifestPolicyFromConfig', () => {
  function configWith(overrides: Record<string, unknown>) {
    // loadConfig only resolves paths under dataDir; nothing is created there.
    return loadConfig({ dataDir: path.join(tmpdir(), 'quayside-manifest-policy'), overrides, env: {} });
  }

  it('uses Quay defaults: OCI and Helm on, unknown types refused, the default artifact map', () => {
    const policy = manifestPolicyFromConfig(configWith({}));
    expect(policy).toEqual({
      generalOciSupport: true,
      helmOciSupport: true,
      allowedArtifactTypes: DEFAULT_ALLOWED_ARTIFACT_TYPES,
      ignoreUnknownMediaTypes: false,
    });
    expect(policy.allowedArtifactTypes).not.toBe(DEFAULT_ALLOWED_ARTIFACT_TYPES);
  });

  it('reads the feature flags and the operator artifact map', () => {
    const policy = manifestPolicyFromConfig(
      configWith({
        FEATURE_GENERAL_OCI_SUPPORT: false,
        FEATURE_HELM_OCI_SUPPORT: false,
        IGNORE_UNKNOWN_MEDIATYPES: true,
        ALLOWED_OCI_ARTIFACT_TYPES: { [SIF_CONFIG]: [SIF_LAYER] },
      }),
    );
    expect(policy).toEqual({
      generalOciSupport: false,
      helmOciSupport: false,
      allowedArtifactTypes: { [SIF_CONFIG]: [SIF_LAYER] },
      ignoreUnknownMediaTypes: true,
    });
  });

  it('produces a policy that rejects Helm when config.yaml turns it off', () => {
    const policy = manifestPolicyFromConfig(configWith({ FEATURE_HELM_OCI_SUPPORT: false }));
    expect(thrownBy(() => parseWith(policy, helmChart()))).toBeInstanceOf(Unsupported);
  });
});
