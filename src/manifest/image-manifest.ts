import { parseDescriptor } from './descriptor.js';
import { expectArray, fieldPath, type JsonObject, manifestInvalid, requiredField } from './json-fields.js';
import { FOREIGN_LAYER_MEDIA_TYPES, MediaTypes } from './media-types.js';
import { type OciTopLevelFields, parseOciTopLevelFields } from './oci-fields.js';
import type { Descriptor } from './types.js';

export interface ImageManifestFields extends OciTopLevelFields {
  config: Descriptor;
  layers: Descriptor[];
}

/** Structure of a Docker schema 2 or OCI image manifest body; says nothing about which types are allowed. */
export function parseImageManifestFields(body: JsonObject, mediaType: string): ImageManifestFields {
  const config = parseDescriptor(requiredField(body, 'config', ''), 'config');
  const layers = expectArray(requiredField(body, 'layers', ''), 'layers').map((layer, index) =>
    parseDescriptor(layer, fieldPath('layers', index)),
  );
  const oci = parseOciTopLevelFields(body, mediaType);
  if (config.mediaType === MediaTypes.OCI_EMPTY && oci.artifactType === undefined) {
    throw manifestInvalid(`artifactType is required when the config is ${MediaTypes.OCI_EMPTY}`, 'artifactType');
  }
  return { ...oci, config, layers };
}

function isExternallyHosted(layer: Descriptor): boolean {
  return FOREIGN_LAYER_MEDIA_TYPES.has(layer.mediaType) && (layer.urls?.length ?? 0) > 0;
}

/** Config first, then layers in order, each digest once (OCI 1.1 artifacts often reuse the empty blob as a layer). */
export function requiredBlobsOf(config: Descriptor, layers: Descriptor[]): Descriptor[] {
  const seen = new Set<string>();
  const required: Descriptor[] = [];
  for (const blob of [config, ...layers.filter((layer) => !isExternallyHosted(layer))]) {
    if (seen.has(blob.digest)) continue;
    seen.add(blob.digest);
    required.push(blob);
  }
  return required;
}
