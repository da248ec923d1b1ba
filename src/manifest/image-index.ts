import { parseDescriptor } from './descriptor.js';
import { expectArray, fieldPath, type JsonObject, requiredField } from './json-fields.js';
import { type OciTopLevelFields, parseOciTopLevelFields } from './oci-fields.js';
import type { Descriptor } from './types.js';

export interface ImageIndexFields extends OciTopLevelFields {
  children: Descriptor[];
}

/** Structure of an OCI image index or Docker manifest list body. */
export function parseImageIndexFields(body: JsonObject, mediaType: string): ImageIndexFields {
  const children = expectArray(requiredField(body, 'manifests', ''), 'manifests').map((entry, index) =>
    parseDescriptor(entry, fieldPath('manifests', index)),
  );
  return { ...parseOciTopLevelFields(body, mediaType), children };
}
