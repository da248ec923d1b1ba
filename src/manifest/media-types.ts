/** Media types the registry recognises. Values are exactly as they appear on the wire. */
export const MediaTypes = {
  DOCKER_MANIFEST: 'application/vnd.docker.distribution.manifest.v2+json',
  DOCKER_MANIFEST_LIST: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DOCKER_SCHEMA1_MANIFEST: 'application/vnd.docker.distribution.manifest.v1+json',
  DOCKER_SCHEMA1_SIGNED_MANIFEST: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  OCI_MANIFEST: 'application/vnd.oci.image.manifest.v1+json',
  OCI_INDEX: 'application/vnd.oci.image.index.v1+json',

  DOCKER_CONFIG: 'application/vnd.docker.container.image.v1+json',
  OCI_CONFIG: 'application/vnd.oci.image.config.v1+json',
  OCI_EMPTY: 'application/vnd.oci.empty.v1+json',

  DOCKER_LAYER: 'application/vnd.docker.image.rootfs.diff.tar',
  DOCKER_LAYER_GZIP: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DOCKER_LAYER_ZSTD: 'application/vnd.docker.image.rootfs.diff.tar.zstd',
  DOCKER_FOREIGN_LAYER: 'application/vnd.docker.image.rootfs.foreign.diff.tar',
  DOCKER_FOREIGN_LAYER_GZIP: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  OCI_LAYER: 'application/vnd.oci.image.layer.v1.tar',
  OCI_LAYER_GZIP: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OCI_LAYER_ZSTD: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OCI_NONDISTRIBUTABLE_LAYER: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OCI_NONDISTRIBUTABLE_LAYER_GZIP: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OCI_NONDISTRIBUTABLE_LAYER_ZSTD: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',

  HELM_CONFIG: 'application/vnd.cncf.helm.config.v1+json',
  HELM_CHART_CONTENT: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
  HELM_CHART_PROVENANCE: 'application/vnd.cncf.helm.chart.provenance.v1.prov',
  /** Layer type written by Helm 3.0-3.6, before the chart content type existed. */
  HELM_CHART_LEGACY: 'application/tar+gzip',

  COSIGN_SIMPLESIGNING: 'application/vnd.dev.cosign.simplesigning.v1+json',
  DSSE_ENVELOPE: 'application/vnd.dsse.envelope.v1+json',
  IN_TOTO: 'application/vnd.in-toto+json',
  SPDX: 'text/spdx',
  SPDX_XML: 'text/spdx+xml',
  SPDX_JSON: 'text/spdx+json',
  SYFT_JSON: 'application/vnd.syft+json',
  CYCLONEDX: 'application/vnd.cyclonedx',
  CYCLONEDX_XML: 'application/vnd.cyclonedx+xml',
  CYCLONEDX_JSON: 'application/vnd.cyclonedx+json',

  OCI_SOURCE_IMAGE_CONFIG: 'application/vnd.oci.source.image.config.v1+json',
  UNKNOWN_CONFIG: 'application/vnd.unknown.config.v1+json',
  OPA_POLICY_LAYER: 'application/vnd.cncf.openpolicyagent.policy.layer.v1+rego',
  OPA_DATA_LAYER: 'application/vnd.cncf.openpolicyagent.data.layer.v1+json',
} as const;

/** The manifest types this registry stores and serves, for Accept negotiation. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaTypes.DOCKER_MANIFEST,
  MediaTypes.DOCKER_MANIFEST_LIST,
  MediaTypes.OCI_MANIFEST,
  MediaTypes.OCI_INDEX,
];

export const SCHEMA1_MEDIA_TYPES: readonly string[] = [
  MediaTypes.DOCKER_SCHEMA1_MANIFEST,
  MediaTypes.DOCKER_SCHEMA1_SIGNED_MANIFEST,
];

export const IMAGE_CONFIG_MEDIA_TYPES: ReadonlySet<string> = new Set([MediaTypes.DOCKER_CONFIG, MediaTypes.OCI_CONFIG]);

/** Layers whose bytes may live outside the registry; with `urls` they are not required to be pushed. */
export const FOREIGN_LAYER_MEDIA_TYPES: ReadonlySet<string> = new Set([
  MediaTypes.DOCKER_FOREIGN_LAYER,
  MediaTypes.DOCKER_FOREIGN_LAYER_GZIP,
  MediaTypes.OCI_NONDISTRIBUTABLE_LAYER,
  MediaTypes.OCI_NONDISTRIBUTABLE_LAYER_GZIP,
  MediaTypes.OCI_NONDISTRIBUTABLE_LAYER_ZSTD,
]);

/** Filesystem layer types accepted in any image manifest, whatever its config. */
export const IMAGE_LAYER_MEDIA_TYPES: ReadonlySet<string> = new Set([
  MediaTypes.DOCKER_LAYER,
  MediaTypes.DOCKER_LAYER_GZIP,
  MediaTypes.DOCKER_LAYER_ZSTD,
  MediaTypes.OCI_LAYER,
  MediaTypes.OCI_LAYER_GZIP,
  MediaTypes.OCI_LAYER_ZSTD,
  ...FOREIGN_LAYER_MEDIA_TYPES,
]);

export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_MEDIA_TYPES.includes(mediaType);
}

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaTypes.OCI_INDEX || mediaType === MediaTypes.DOCKER_MANIFEST_LIST;
}

export function isDockerMediaType(mediaType: string): boolean {
  return mediaType === MediaTypes.DOCKER_MANIFEST || mediaType === MediaTypes.DOCKER_MANIFEST_LIST;
}

/** RFC 6838 type/subtype; parameters are not allowed inside manifests. */
const MEDIA_TYPE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

export function isWellFormedMediaType(value: string): boolean {
  return MEDIA_TYPE_PATTERN.test(value);
}
