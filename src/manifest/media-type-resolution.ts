import { Unsupported } from '../errors.js';
import { isJsonObject, type JsonObject, manifestInvalid, optionalString, quoted } from './json-fields.js';
import { isDockerMediaType, isManifestMediaType, MANIFEST_MEDIA_TYPES, MediaTypes, SCHEMA1_MEDIA_TYPES } from './media-types.js';

export const SCHEMA1_MESSAGE = 'schema 1 manifests are not supported; push schema 2 or OCI';

/** Content types that say "JSON" without saying which manifest; the body has to decide. */
const GENERIC_CONTENT_TYPES: ReadonlySet<string> = new Set(['application/json']);

/** `Type/Sub; charset=utf-8` -> `type/sub`; empty -> undefined. */
export function bareContentType(header: string | undefined): string | undefined {
  const bare = header?.split(';', 1)[0]?.trim().toLowerCase();
  return bare ? bare : undefined;
}

function rejectSchema1(mediaType: string | undefined): void {
  if (mediaType !== undefined && SCHEMA1_MEDIA_TYPES.includes(mediaType.toLowerCase())) throw new Unsupported(SCHEMA1_MESSAGE);
}

/** OCI manifests may omit mediaType; tell an index from an image manifest by its fields. */
function inferFromStructure(body: JsonObject): string {
  if (Array.isArray(body['manifests'])) return MediaTypes.OCI_INDEX;
  if (isJsonObject(body['config']) && Array.isArray(body['layers'])) return MediaTypes.OCI_MANIFEST;
  throw manifestInvalid(
    'cannot tell which kind of manifest this is: set mediaType, or send an index with "manifests" or an image manifest with "config" and "layers"',
    'mediaType',
  );
}

/**
 * Decides the manifest's media type from the request Content-Type and the body's own mediaType.
 * Both are trusted only when they agree, so a client can't store bytes that later read as another kind.
 */
export function resolveManifestMediaType(body: JsonObject, contentType: string | undefined): string {
  const header = bareContentType(contentType);
  rejectSchema1(header);
  if (body['schemaVersion'] === 1) throw new Unsupported(SCHEMA1_MESSAGE);
  const declaredInBody = optionalString(body, 'mediaType', '');
  rejectSchema1(declaredInBody);

  const declaredInHeader = header !== undefined && !GENERIC_CONTENT_TYPES.has(header) ? header : undefined;
  if (declaredInBody !== undefined && declaredInHeader !== undefined && declaredInBody.toLowerCase() !== declaredInHeader) {
    throw manifestInvalid(
      `Content-Type ${quoted(declaredInHeader)} does not match the manifest's mediaType ${quoted(declaredInBody)}`,
      'mediaType',
    );
  }

  const mediaType = declaredInBody ?? declaredInHeader ?? inferFromStructure(body);
  if (!isManifestMediaType(mediaType)) {
    throw new Unsupported(`manifest media type ${quoted(mediaType)} is not supported; use one of ${MANIFEST_MEDIA_TYPES.join(', ')}`);
  }
  if (isDockerMediaType(mediaType) && declaredInBody === undefined) {
    throw manifestInvalid(`a ${mediaType} manifest must declare its mediaType in the body`, 'mediaType');
  }
  return mediaType;
}
