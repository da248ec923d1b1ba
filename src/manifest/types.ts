export interface Platform {
  architecture: string;
  os: string;
  'os.version'?: string;
  'os.features'?: string[];
  variant?: string;
  features?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export type ManifestKind = 'image' | 'index';

export interface ParsedManifest {
  /** The manifest's media type. */
  mediaType: string;
  /** Digest of the exact bytes pushed. */
  digest: string;
  /** Byte length. */
  size: number;
  kind: ManifestKind;
  /** Image manifests only. */
  config?: Descriptor;
  /** Image manifest layers; [] for an index. */
  layers: Descriptor[];
  /** Blobs that must exist in the repository: config + layers, excluding foreign/non-distributable layers that carry `urls`. */
  requiredBlobs: Descriptor[];
  /** Index / manifest list entries. */
  children: Descriptor[];
  subject?: Descriptor;
  /** OCI referrers semantics: manifest.artifactType, else config.mediaType for image manifests, else null. */
  artifactType: string | null;
  annotations: Record<string, string>;
  /** Sum of layer sizes. */
  layersSize: number;
}

export interface ManifestPolicy {
  /** FEATURE_GENERAL_OCI_SUPPORT: accept OCI artifacts, not just container images. */
  generalOciSupport: boolean;
  /** FEATURE_HELM_OCI_SUPPORT: accept Helm charts. */
  helmOciSupport: boolean;
  /** ALLOWED_OCI_ARTIFACT_TYPES: config media type -> extra layer media types allowed with it. */
  allowedArtifactTypes: Record<string, string[]>;
  /** IGNORE_UNKNOWN_MEDIATYPES: accept config, layer and index-entry types nobody registered. */
  ignoreUnknownMediaTypes: boolean;
}
