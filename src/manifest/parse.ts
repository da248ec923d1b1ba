import { TooLarge } from '../errors.js';
import { computeDigest } from './digest.js';
import { parseImageIndexFields } from './image-index.js';
import { parseImageManifestFields, requiredBlobsOf } from './image-manifest.js';
import { isJsonObject, type JsonObject, manifestInvalid, quoted } from './json-fields.js';
import { resolveManifestMediaType } from './media-type-resolution.js';
import { isIndexMediaType } from './media-types.js';
import { enforceImageManifestPolicy, enforceIndexPolicy } from './policy.js';
import type { ManifestPolicy, ParsedManifest } from './types.js';

/** The OCI distribution spec's suggested floor for what registries accept. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function decodeJsonObject(bytes: Buffer): JsonObject {
  if (bytes.length === 0) throw manifestInvalid('the manifest body is empty');
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw manifestInvalid('the manifest is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw manifestInvalid(`the manifest is not valid JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(parsed)) throw manifestInvalid('the manifest must be a JSON object');
  return parsed;
}

function checkSchemaVersion(body: JsonObject): void {
  const version = body['schemaVersion'];
  if (version === undefined) throw manifestInvalid('schemaVersion is required', 'schemaVersion');
  if (version !== 2) throw manifestInvalid(`schemaVersion must be 2, not ${quoted(version)}`, 'schemaVersion');
}

/**
 * Validates a pushed manifest and extracts what the registry needs to store it. Throws Invalid('manifest')
 * for malformed manifests, Unsupported for kinds or media types this registry's policy refuses, and
 * TooLarge past MAX_MANIFEST_BYTES. The digest covers the bytes exactly as given.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined, policy: ManifestPolicy): ParsedManifest {
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw new TooLarge(`the manifest is ${bytes.length} bytes; the limit is ${MAX_MANIFEST_BYTES}`);
  }
  const body = decodeJsonObject(bytes);
  const mediaType = resolveManifestMediaType(body, contentType);
  checkSchemaVersion(body);
  const identity = { mediaType, digest: computeDigest(bytes), size: bytes.length };

  if (isIndexMediaType(mediaType)) {
    const index = parseImageIndexFields(body, mediaType);
    enforceIndexPolicy(index.children, index.artifactType, policy);
    return {
      ...identity,
      kind: 'index',
      layers: [],
      requiredBlobs: [],
      children: index.children,
      ...(index.subject ? { subject: index.subject } : {}),
      artifactType: index.artifactType ?? null,
      annotations: index.annotations,
      layersSize: 0,
    };
  }

  const image = parseImageManifestFields(body, mediaType);
  enforceImageManifestPolicy(image.config, image.layers, policy);
  return {
    ...identity,
    kind: 'image',
    config: image.config,
    layers: image.layers,
    requiredBlobs: requiredBlobsOf(image.config, image.layers),
    children: [],
    ...(image.subject ? { subject: image.subject } : {}),
    artifactType: image.artifactType ?? image.config.mediaType,
    annotations: image.annotations,
    layersSize: image.layers.reduce((total, layer) => total + layer.size, 0),
  };
}
