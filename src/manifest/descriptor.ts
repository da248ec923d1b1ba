import { computeDigest, type DigestAlgorithm, digestProblem } from './digest.js';
import {
  expectObject,
  fieldPath,
  type JsonObject,
  manifestInvalid,
  optionalString,
  optionalStringArray,
  optionalStringMap,
  quoted,
  requiredField,
  requiredString,
} from './json-fields.js';
import { isWellFormedMediaType } from './media-types.js';
import type { Descriptor, Platform } from './types.js';

export function parseMediaTypeField(object: JsonObject, key: string, parent: string, required: true): string;
export function parseMediaTypeField(object: JsonObject, key: string, parent: string, required: false): string | undefined;
export function parseMediaTypeField(object: JsonObject, key: string, parent: string, required: boolean): string | undefined {
  const value = required ? requiredString(object, key, parent) : optionalString(object, key, parent);
  if (value !== undefined && !isWellFormedMediaType(value)) {
    const path = fieldPath(parent, key);
    throw manifestInvalid(`${path} ${quoted(value)} is not a media type (expected type/subtype)`, path);
  }
  return value;
}

function parseDigestField(object: JsonObject, parent: string): string {
  const digest = requiredString(object, 'digest', parent);
  const problem = digestProblem(digest);
  if (problem !== null) {
    const path = fieldPath(parent, 'digest');
    throw manifestInvalid(`${path} ${quoted(digest)} is not a valid digest: ${problem}`, path);
  }
  return digest;
}

function parseSizeField(object: JsonObject, parent: string): number {
  const size = requiredField(object, 'size', parent);
  const path = fieldPath(parent, 'size');
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw manifestInvalid(`${path} must be a non-negative integer, not ${quoted(size)}`, path);
  }
  return size;
}

function parsePlatform(value: unknown, path: string): Platform {
  const object = expectObject(value, path);
  const platform: Platform = {
    architecture: requiredString(object, 'architecture', path),
    os: requiredString(object, 'os', path),
  };
  const osVersion = optionalString(object, 'os.version', path);
  const osFeatures = optionalStringArray(object, 'os.features', path);
  const variant = optionalString(object, 'variant', path);
  const features = optionalStringArray(object, 'features', path);
  if (osVersion !== undefined) platform['os.version'] = osVersion;
  if (osFeatures !== undefined) platform['os.features'] = osFeatures;
  if (variant !== undefined) platform.variant = variant;
  if (features !== undefined) platform.features = features;
  return platform;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Embedded `data` must be the very content the descriptor points at, or clients would disagree on it. */
function checkEmbeddedData(object: JsonObject, parent: string, digest: string, size: number): void {
  const data = optionalString(object, 'data', parent);
  if (data === undefined) return;
  const path = fieldPath(parent, 'data');
  if (!BASE64.test(data)) throw manifestInvalid(`${path} must be base64`, path);
  const decoded = Buffer.from(data, 'base64');
  const algorithm = digest.slice(0, digest.indexOf(':')) as DigestAlgorithm;
  if (decoded.length !== size || computeDigest(decoded, algorithm) !== digest) {
    throw manifestInvalid(`${path} does not match the descriptor's digest and size`, path);
  }
}

/** Validates one content descriptor (config, layer, index entry or subject) at `path`. */
export function parseDescriptor(value: unknown, path: string): Descriptor {
  const object = expectObject(value, path);
  const descriptor: Descriptor = {
    mediaType: parseMediaTypeField(object, 'mediaType', path, true),
    digest: parseDigestField(object, path),
    size: parseSizeField(object, path),
  };
  const artifactType = parseMediaTypeField(object, 'artifactType', path, false);
  const annotations = optionalStringMap(object, 'annotations', path);
  const urls = optionalStringArray(object, 'urls', path);
  if (artifactType !== undefined) descriptor.artifactType = artifactType;
  if (annotations !== undefined) descriptor.annotations = annotations;
  if (urls !== undefined) descriptor.urls = urls;
  if (object['platform'] !== undefined) descriptor.platform = parsePlatform(object['platform'], fieldPath(path, 'platform'));
  checkEmbeddedData(object, path, descriptor.digest, descriptor.size);
  return descriptor;
}
