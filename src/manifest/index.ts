export { computeDigest, type DigestAlgorithm, isDigest, parseDigest } from './digest.js';
export { MANIFEST_MEDIA_TYPES, MediaTypes } from './media-types.js';
export { MAX_MANIFEST_BYTES, parseManifest } from './parse.js';
export { DEFAULT_ALLOWED_ARTIFACT_TYPES, manifestPolicyFromConfig } from './policy.js';
export type { Descriptor, ManifestKind, ManifestPolicy, ParsedManifest, Platform } from './types.js';
