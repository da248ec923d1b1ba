import { parseDescriptor, parseMediaTypeField } from './descriptor.js';
import { type JsonObject, optionalStringMap } from './json-fields.js';
import { MediaTypes } from './media-types.js';
import type { Descriptor } from './types.js';

/** The OCI-only top-level fields shared by image manifests and indexes; Docker formats have none of them. */
export interface OciTopLevelFields {
  artifactType?: string;
  subject?: Descriptor;
  annotations: Record<string, string>;
}

export function parseOciTopLevelFields(body: JsonObject, mediaType: string): OciTopLevelFields {
  const isOci = mediaType === MediaTypes.OCI_MANIFEST || mediaType === MediaTypes.OCI_INDEX;
  if (!isOci) return { annotations: {} };
  const fields: OciTopLevelFields = { annotations: optionalStringMap(body, 'annotations', '') ?? {} };
  const artifactType = parseMediaTypeField(body, 'artifactType', '', false);
  if (artifactType !== undefined) fields.artifactType = artifactType;
  if (body['subject'] !== undefined) fields.subject = parseDescriptor(body['subject'], 'subject');
  return fields;
}
