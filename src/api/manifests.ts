import { type Static, Type as T } from '@sinclair/typebox';
import { Invalid, NotFound } from '../errors.js';
import { type Descriptor, isDigest, type ParsedManifest } from '../manifest/index.js';
import { isIndexMediaType } from '../manifest/media-types.js';
import { type ImageHistoryEntry, isImageConfigMediaType, readImageConfig } from '../model/image-config.js';
import {
  addApiLabel,
  deleteApiLabel,
  findManifestLabel,
  hasReservedPrefix,
  LABEL_MEDIA_TYPES,
  listManifestLabels,
  type ManifestLabel,
} from '../model/labels.js';
import { findAvailableManifest, type ManifestDetails, parseStoredManifest } from '../model/manifests.js';
import { formatQuayDate } from '../model/quay-date.js';
import type { RepositoryWithNamespace } from '../model/repositories.js';
import type { ApiCall, ApiRouter } from './router.js';
import { changeableRepository, readableRepository } from './tags.js';
import { logApiAction } from './usage-log.js';

/**
 * Quay's manifest resource (endpoints/api/manifest.py): a manifest with its layers, and its labels
 * (list, add, get, delete).
 */

const LabelsQuery = T.Object({
  filter: T.Optional(
    T.String({ maxLength: 255, description: 'If specified, only labels matching the given prefix will be returned' }),
  ),
});

const AddLabelBody = T.Object({
  key: T.String({ maxLength: 1024, description: 'The key for the label' }),
  value: T.String({ maxLength: 65_536, description: 'The value for the label' }),
  media_type: T.Union([...LABEL_MEDIA_TYPES.map((m) => T.Literal(m)), T.Null()], {
    description: 'The media type for this label',
  }),
});

function labelView(label: ManifestLabel) {
  return {
    id: label.uuid,
    key: label.key,
    value: label.value,
    source_type: label.sourceType,
    media_type: label.mediaType,
  };
}

/** The manifest of the path, as Quay finds it: referenced by a live tag (or as a child of one). */
async function availableManifest(call: ApiCall<unknown, unknown>, repo: RepositoryWithNamespace): Promise<ManifestDetails> {
  const reference = call.params['manifestref'] ?? '';
  const manifest = isDigest(reference) ? await findAvailableManifest(call.ctx.db, repo.id, reference) : undefined;
  if (!manifest) throw new NotFound('manifest', `manifest ${reference} not found`);
  return manifest;
}

// ---- the manifest and its layers ---------------------------------------------------------------

/** Quay normalizes a layer's command to a list: a JSON array as is, anything else as one element. */
function layerCommand(createdBy: string | null): unknown {
  if (createdBy === null || createdBy === '') return null;
  try {
    const parsed: unknown = JSON.parse(createdBy);
    if (Array.isArray(parsed)) return parsed;
  } catch {
    // a shell command, not JSON
  }
  return [createdBy];
}

function layerView(layer: Descriptor, index: number, history: ImageHistoryEntry | undefined) {
  const created = history?.created ? Date.parse(history.created) : Number.NaN;
  const urls = layer.urls && layer.urls.length > 0 ? layer.urls : null;
  return {
    index,
    compressed_size: layer.size,
    is_remote: urls !== null,
    urls,
    command: layerCommand(history?.createdBy ?? null),
    comment: history?.comment ?? null,
    author: history?.author ?? null,
    blob_digest: layer.digest,
    created_datetime: Number.isNaN(created) ? null : formatQuayDate(created),
  };
}

/** The history entries that belong to filesystem layers, in layer order; none when the config is unreadable. */
async function layerHistory(
  call: ApiCall<unknown, unknown>,
  repo: RepositoryWithNamespace,
  manifest: ManifestDetails,
  parsed: ParsedManifest | undefined,
): Promise<ImageHistoryEntry[]> {
  if (!isImageConfigMediaType(manifest.configMediaType)) return [];
  const configDigest = parsed?.config?.digest;
  if (!configDigest) return [];
  try {
    const config = await readImageConfig(call.ctx.db, call.ctx.storage, repo.id, configDigest);
    return (config?.history ?? []).filter((entry) => !entry.emptyLayer);
  } catch (err) {
    call.request.log.warn({ err, manifest: manifest.digest }, 'could not read the image config for layer details');
    return [];
  }
}

async function getManifest(call: ApiCall) {
  const repo = await readableRepository(call);
  const manifest = await availableManifest(call, repo);
  const isList = isIndexMediaType(manifest.mediaType);
  let layers: unknown[] | null = null;
  if (!isList) {
    const parsed = parseStoredManifest(manifest.content, manifest.mediaType);
    const history = await layerHistory(call, repo, manifest, parsed);
    layers = (parsed?.layers ?? []).map((layer, index) => layerView(layer, index, history[index]));
  }
  return {
    digest: manifest.digest,
    is_manifest_list: isList,
    manifest_data: manifest.content.toString('utf8'),
    config_media_type: manifest.configMediaType,
    layers_compressed_size: isList ? 0 : (manifest.layersSize ?? 0),
    layers,
  };
}

// ---- labels -----------------------------------------------------------------------------------

async function listLabels(call: ApiCall<unknown, Static<typeof LabelsQuery>>) {
  const repo = await readableRepository(call);
  const manifest = await availableManifest(call, repo);
  const labels = await listManifestLabels(call.ctx.db, manifest.id, call.query.filter);
  return { labels: labels.map(labelView) };
}

function reservedPrefixes(call: ApiCall<unknown, unknown>): string[] {
  const { config } = call.ctx;
  return [...config.DEFAULT_LABEL_KEY_RESERVED_PREFIXES, ...config.LABEL_KEY_RESERVED_PREFIXES];
}

function labelPath(repo: RepositoryWithNamespace, digest: string, uuid: string): string {
  const repository = `${repo.namespace_name}/${repo.name}`.split('/').map(encodeURIComponent).join('/');
  return `/api/v1/repository/${repository}/manifest/${digest}/labels/${uuid}`;
}

async function addLabel(call: ApiCall<Static<typeof AddLabelBody>>) {
  const repo = await changeableRepository(call);
  const { key, value, media_type: mediaType } = call.body;
  if (hasReservedPrefix(key, reservedPrefixes(call))) throw new Invalid('input', 'Label has a reserved prefix');
  const manifest = await availableManifest(call, repo);
  const label = await addApiLabel(call.ctx.db, manifest.id, { key, value, mediaType });
  await logApiAction(call, {
    kind: 'manifest_label_add',
    namespaceId: repo.namespace_id,
    repositoryId: repo.id,
    metadata: {
      id: label.uuid,
      key: label.key,
      value: label.value,
      manifest_digest: manifest.digest,
      media_type: label.mediaType,
      namespace: repo.namespace_name,
      repo: repo.name,
    },
  });
  call.reply.header('Location', labelPath(repo, manifest.digest, label.uuid));
  return { label: labelView(label) };
}

async function getLabel(call: ApiCall) {
  const repo = await readableRepository(call);
  const manifest = await availableManifest(call, repo);
  const label = await findManifestLabel(call.ctx.db, manifest.id, call.params['labelid'] ?? '');
  if (!label) throw new NotFound('manifest', `label ${call.params['labelid']} not found`);
  return labelView(label);
}

async function deleteLabel(call: ApiCall) {
  const repo = await changeableRepository(call);
  const manifest = await availableManifest(call, repo);
  const deleted = await deleteApiLabel(call.ctx.db, manifest.id, call.params['labelid'] ?? '');
  await logApiAction(call, {
    kind: 'manifest_label_delete',
    namespaceId: repo.namespace_id,
    repositoryId: repo.id,
    metadata: {
      id: deleted.uuid,
      key: deleted.key,
      value: deleted.value,
      manifest_digest: manifest.digest,
      namespace: repo.namespace_name,
      repo: repo.name,
    },
  });
  return undefined;
}

export function registerManifestsRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/repository/{repository}/manifest/{manifestref}',
    summary: 'Fetch a manifest with its layers.',
    tag: 'manifest',
    operationId: 'getRepoManifest',
    handler: getManifest,
  });

  router.add({
    method: 'GET',
    path: '/api/v1/repository/{repository}/manifest/{manifestref}/labels',
    summary: "List a manifest's labels.",
    tag: 'manifest',
    operationId: 'listManifestLabels',
    query: LabelsQuery,
    handler: listLabels,
  });

  router.add({
    method: 'POST',
    path: '/api/v1/repository/{repository}/manifest/{manifestref}/labels',
    summary: 'Add a label to a manifest.',
    tag: 'manifest',
    operationId: 'addManifestLabel',
    body: AddLabelBody,
    status: 201,
    handler: addLabel,
  });

  router.add({
    method: 'GET',
    path: '/api/v1/repository/{repository}/manifest/{manifestref}/labels/{labelid}',
    summary: 'Fetch one label of a manifest.',
    tag: 'manifest',
    operationId: 'getManifestLabel',
    handler: getLabel,
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/repository/{repository}/manifest/{manifestref}/labels/{labelid}',
    summary: 'Delete a label added through the API.',
    tag: 'manifest',
    operationId: 'deleteManifestLabel',
    status: 204,
    handler: deleteLabel,
  });
}
