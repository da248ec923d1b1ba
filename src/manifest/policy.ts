import type { QuaysideConfig } from '../config/load.js';
import { Unsupported } from '../errors.js';
import { fieldPath, manifestInvalid, quoted } from './json-fields.js';
import { SCHEMA1_MESSAGE } from './media-type-resolution.js';
import {
  IMAGE_CONFIG_MEDIA_TYPES,
  IMAGE_LAYER_MEDIA_TYPES,
  isManifestMediaType,
  MediaTypes,
  SCHEMA1_MEDIA_TYPES,
} from './media-types.js';
import type { Descriptor, ManifestPolicy } from './types.js';

/**
 * Quay's stock ALLOWED_OCI_ARTIFACT_TYPES minus Helm, which FEATURE_HELM_OCI_SUPPORT governs on its
 * own. Like Quay, an operator's ALLOWED_OCI_ARTIFACT_TYPES replaces this map rather than merging.
 */
export const DEFAULT_ALLOWED_ARTIFACT_TYPES: Record<string, string[]> = {
  [MediaTypes.OCI_CONFIG]: [
    MediaTypes.COSIGN_SIMPLESIGNING,
    MediaTypes.DSSE_ENVELOPE,
    MediaTypes.SPDX,
    MediaTypes.SPDX_XML,
    MediaTypes.SPDX_JSON,
    MediaTypes.SYFT_JSON,
    MediaTypes.CYCLONEDX,
    MediaTypes.CYCLONEDX_XML,
    MediaTypes.CYCLONEDX_JSON,
    MediaTypes.IN_TOTO,
  ],
  [MediaTypes.OCI_SOURCE_IMAGE_CONFIG]: [MediaTypes.OCI_LAYER_GZIP],
  [MediaTypes.UNKNOWN_CONFIG]: [MediaTypes.OPA_POLICY_LAYER, MediaTypes.OPA_DATA_LAYER],
};

const HELM_LAYER_MEDIA_TYPES: readonly string[] = [
  MediaTypes.HELM_CHART_CONTENT,
  MediaTypes.HELM_CHART_LEGACY,
  MediaTypes.HELM_CHART_PROVENANCE,
];

export function manifestPolicyFromConfig(config: QuaysideConfig): ManifestPolicy {
  return {
    generalOciSupport: config.FEATURE_GENERAL_OCI_SUPPORT,
    helmOciSupport: config.FEATURE_HELM_OCI_SUPPORT,
    allowedArtifactTypes: structuredClone(config.ALLOWED_OCI_ARTIFACT_TYPES ?? DEFAULT_ALLOWED_ARTIFACT_TYPES),
    ignoreUnknownMediaTypes: config.IGNORE_UNKNOWN_MEDIATYPES,
  };
}

const ADMIN_HINT = 'an administrator can allow it with ALLOWED_OCI_ARTIFACT_TYPES or IGNORE_UNKNOWN_MEDIATYPES';

/** Layer types allowed beyond the filesystem ones for this config type, or undefined when the config type isn't registered. */
function extraLayerTypes(configType: string, policy: ManifestPolicy): ReadonlySet<string> | undefined {
  const configured = Object.hasOwn(policy.allowedArtifactTypes, configType)
    ? policy.allowedArtifactTypes[configType]
    : undefined;
  if (IMAGE_CONFIG_MEDIA_TYPES.has(configType)) return new Set(policy.generalOciSupport ? (configured ?? []) : []);
  const helm = configType === MediaTypes.HELM_CONFIG && policy.helmOciSupport ? HELM_LAYER_MEDIA_TYPES : undefined;
  if (configured === undefined && helm === undefined) return undefined;
  return new Set([...(configured ?? []), ...(helm ?? [])]);
}

function unregisteredConfigMessage(configType: string): string {
  if (configType === MediaTypes.HELM_CONFIG) return 'Helm charts are not accepted by this registry (FEATURE_HELM_OCI_SUPPORT is off)';
  return `config media type ${quoted(configType)} is not an allowed artifact type; ${ADMIN_HINT}`;
}

/** Decides whether this registry stores an image manifest with these config and layer types. */
export function enforceImageManifestPolicy(config: Descriptor, layers: Descriptor[], policy: ManifestPolicy): void {
  const configType = config.mediaType;
  if (!IMAGE_CONFIG_MEDIA_TYPES.has(configType) && !policy.generalOciSupport) {
    throw new Unsupported(
      `config media type ${quoted(configType)} is not a container image config, and OCI artifacts are disabled (FEATURE_GENERAL_OCI_SUPPORT)`,
    );
  }
  // OCI 1.1 artifacts (oras, cosign bundles) say what they are in artifactType; their layers are opaque blobs.
  if (configType === MediaTypes.OCI_EMPTY) return;

  const extra = extraLayerTypes(configType, policy);
  if (extra === undefined) {
    if (policy.ignoreUnknownMediaTypes) return;
    throw new Unsupported(unregisteredConfigMessage(configType));
  }
  layers.forEach((layer, index) => {
    const layerType = layer.mediaType;
    if (IMAGE_LAYER_MEDIA_TYPES.has(layerType) || extra.has(layerType) || policy.ignoreUnknownMediaTypes) return;
    throw new Unsupported(
      `${fieldPath('layers', index)} media type ${quoted(layerType)} is not allowed with config media type ${quoted(configType)}; ${ADMIN_HINT}`,
    );
  });
}

/** Decides whether this registry stores an index with these entries. */
export function enforceIndexPolicy(children: Descriptor[], artifactType: string | undefined, policy: ManifestPolicy): void {
  if (artifactType !== undefined && !policy.generalOciSupport) {
    throw new Unsupported(
      `index artifactType ${quoted(artifactType)} marks an OCI artifact, and OCI artifacts are disabled (FEATURE_GENERAL_OCI_SUPPORT)`,
    );
  }
  children.forEach((child, index) => {
    const path = fieldPath('manifests', index);
    if (SCHEMA1_MEDIA_TYPES.includes(child.mediaType)) throw new Unsupported(`${path}: ${SCHEMA1_MESSAGE}`);
    if (isManifestMediaType(child.mediaType) || policy.ignoreUnknownMediaTypes) return;
    throw manifestInvalid(
      `${path}.mediaType ${quoted(child.mediaType)} is not a manifest media type; index entries must be image manifests or indexes`,
      `${path}.mediaType`,
    );
  });
}
