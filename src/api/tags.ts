import { performerName } from '../auth/principal.js';
import { type Static, Type as T } from '@sinclair/typebox';
import { authorizeRepositoryContentChange, authorizeRepositoryRole } from '../auth/authorize.js';
import { Invalid, NotFound } from '../errors.js';
import { nowMs } from '../model/clock.js';
import { findAvailableManifest, findManifestByDigest } from '../model/manifests.js';
import { formatQuayDate } from '../model/quay-date.js';
import type { RepositoryWithNamespace } from '../model/repositories.js';
import {
  type ChildPresence,
  listTagHistory,
  manifestListChildren,
  removeFromTimeMachine,
  restoreTag,
  retargetTag,
  type TagHistoryEntry,
  type TagNameFilter,
} from '../model/tag-history.js';
import { changeTagExpiration, deleteTag, findLiveTag, validateTagName } from '../model/tags.js';
import { parseDurationSeconds } from '../model/users.js';
import { repositoryParam } from './repositories.js';
import type { ApiCall, ApiRouter } from './router.js';
import { logApiAction } from './usage-log.js';

/**
 * Quay's tag resource (endpoints/api/tag.py): the tag history with paging and filters, creating,
 * moving and deleting tags, tag expiry, and the time machine (restore, expire).
 */

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;
/** Keeps the row offset a safe integer for both databases. */
const MAX_PAGE = 10_000_000;
/** Python's datetime stops at year 9999; Quay answers 400 to expirations beyond it. */
const LATEST_EXPIRATION_S = 253_402_300_799;

const ListQuery = T.Object({
  specificTag: T.String({ default: '', maxLength: 255, description: 'Filters the tags to the specific tag.' }),
  filter_tag_name: T.String({
    default: '',
    maxLength: 300,
    description: "Syntax: <op>:<name> Filters the tag names based on the operation. <op> can be 'like' or 'eq'.",
  }),
  limit: T.Integer({ default: DEFAULT_PAGE_SIZE, description: 'Limit to the number of results to return per page. Max 100.' }),
  page: T.Integer({ default: 1, maximum: MAX_PAGE, description: 'Page index for the results. Default 1.' }),
  onlyActiveTags: T.Boolean({ default: false, description: 'Filter to only active tags.' }),
});

const ChangeTagBody = T.Object({
  manifest_digest: T.Optional(
    T.Union([T.String({ maxLength: 255 }), T.Null()], { description: '(If specified) The manifest digest to which the tag should point' }),
  ),
  expiration: T.Optional(T.Union([T.Number(), T.Null()], { description: '(If specified) The expiration for the image' })),
});

const RestoreTagBody = T.Object({
  manifest_digest: T.Optional(T.String({ maxLength: 255, description: 'If specified, the manifest digest that should be used' })),
});

const ExpireTagBody = T.Object({
  manifest_digest: T.Optional(
    T.String({ maxLength: 255, description: 'Required if is_alive set to false. Ignored when is_alive is true.' }),
  ),
  // Accepted for Quay's clients, and always in effect. Quay keeps a manifest list's children alive
  // with hidden temporary tags, which this flag expires with the list's tag; Quayside gives children
  // no tags of their own (they are reachable only through a live tag of a list naming them), so
  // taking the list's tag out of the time machine always takes its sub-manifests with it.
  include_submanifests: T.Optional(
    T.Boolean({ description: 'Accepted for compatibility; sub-manifests always leave the time machine with their list.' }),
  ),
  is_alive: T.Optional(
    T.Boolean({ description: 'If true, take the live tag out of the time machine; otherwise its ended rows for the manifest.' }),
  ),
});

const FILTER_SYNTAX_ERROR =
  "Unsupported syntax for filter_tag_name. Expected <operation>:<tag_name> where <operation> can be 'like' or 'eq'.";

function parseNameFilter(raw: string): TagNameFilter | undefined {
  if (raw === '') return undefined;
  const colon = raw.indexOf(':');
  const operation = raw.slice(0, colon);
  if (colon < 0 || (operation !== 'like' && operation !== 'eq')) throw new Invalid('input', FILTER_SYNTAX_ERROR);
  return { operation, value: raw.slice(colon + 1) };
}

// ---- shared with the manifest resource --------------------------------------------------------

/** The repository of the path when the caller may read it (public repositories: anyone). */
export function readableRepository(call: ApiCall<unknown, unknown>): Promise<RepositoryWithNamespace> {
  return authorizeRepositoryRole(call.ctx, call.actor, repositoryParam(call), 'read');
}

/** The repository of the path when the caller may change its tags and labels (write, NORMAL state). */
export function changeableRepository(call: ApiCall<unknown, unknown>): Promise<RepositoryWithNamespace> {
  return authorizeRepositoryContentChange(call.ctx, call.actor, repositoryParam(call));
}

/** Quay answers some writes with a bare JSON string ("Updated", ""). */
function jsonString(call: ApiCall<unknown, unknown>, status: number, value: string) {
  return call.reply.code(status).type('application/json').send(JSON.stringify(value));
}

// ---- views ------------------------------------------------------------------------------------

function tagView(entry: TagHistoryEntry, children: ChildPresence | undefined): Record<string, unknown> {
  const startS = Math.floor(entry.startMs / 1000);
  const endS = entry.endMs === null ? null : Math.floor(entry.endMs / 1000);
  const view: Record<string, unknown> = { name: entry.name, reversion: entry.reversion };
  if (startS > 0) view['start_ts'] = startS;
  if (endS !== null && endS > 0) view['end_ts'] = endS;
  view['manifest_digest'] = entry.manifestDigest;
  view['is_manifest_list'] = entry.isManifestList;
  view['size'] = entry.size;
  if (startS > 0) view['last_modified'] = formatQuayDate(startS * 1000);
  if (endS !== null) view['expiration'] = formatQuayDate(endS * 1000);
  if (entry.isManifestList) {
    const presence = children ?? new Map<string, boolean>();
    const present = [...presence.values()].filter(Boolean).length;
    view['is_sparse'] = present < presence.size;
    view['child_manifest_count'] = presence.size;
    view['present_child_count'] = present;
    view['child_manifests_presence'] = Object.fromEntries(presence);
  }
  return view;
}

// ---- handlers ---------------------------------------------------------------------------------

async function listTags(call: ApiCall<unknown, Static<typeof ListQuery>>) {
  const { query } = call;
  const page = Math.max(1, query.page);
  const limit = Math.min(MAX_PAGE_SIZE, Math.max(1, query.limit));
  const repo = await readableRepository(call);
  const nameFilter = parseNameFilter(query.filter_tag_name);
  const { entries, hasMore } = await listTagHistory(call.ctx.db, repo.id, {
    page,
    limit,
    specificTag: query.specificTag === '' ? undefined : query.specificTag,
    onlyActive: query.onlyActiveTags,
    nameFilter,
  });
  const lists = entries.filter((e) => e.isManifestList).map((e) => e.manifestId);
  const children = await manifestListChildren(call.ctx.db, repo.id, lists);
  return {
    tags: entries.map((entry) => tagView(entry, children.get(entry.manifestId))),
    page,
    has_additional: hasMore,
  };
}

function tagLogMetadata(call: ApiCall<unknown, unknown>, repo: RepositoryWithNamespace, tag: string) {
  return { username: performerName(call.actor.principal), repo: repo.name, namespace: repo.namespace_name, tag };
}

/** Epoch seconds from the request as an instant in the future, in milliseconds. */
function futureExpiration(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds > LATEST_EXPIRATION_S) throw new Invalid('input', 'expiration is not a valid time');
  const ms = Math.round(seconds * 1000);
  if (ms <= nowMs()) throw new Invalid('input', 'expiration must be in the future');
  return ms;
}

async function createOrMoveTag(call: ApiCall<Static<typeof ChangeTagBody>>, repo: RepositoryWithNamespace, tag: string) {
  const digest = call.body.manifest_digest;
  const manifest = typeof digest === 'string' ? await findAvailableManifest(call.ctx.db, repo.id, digest) : undefined;
  if (!manifest) throw new NotFound('manifest', `manifest ${digest ?? '(none)'} not found`);
  // What the tag pointed at comes from the move itself, so concurrent moves log one create_tag.
  const { previousManifestDigest } = await retargetTag(call.ctx.db, repo.id, tag, manifest);
  await logApiAction(call, {
    kind: previousManifestDigest === null ? 'create_tag' : 'move_tag',
    namespaceId: repo.namespace_id,
    repositoryId: repo.id,
    metadata: {
      ...tagLogMetadata(call, repo, tag),
      manifest_digest: manifest.digest,
      original_manifest_digest: previousManifestDigest,
    },
  });
}

async function setExpiration(call: ApiCall<Static<typeof ChangeTagBody>>, repo: RepositoryWithNamespace, tag: string) {
  const requested = call.body.expiration ?? null;
  const expiresAtMs = requested === null ? null : futureExpiration(requested);
  const live = await findLiveTag(call.ctx.db, repo.id, tag);
  if (!live) throw new NotFound('tag', `tag ${tag} not found`);
  const { config } = call.ctx;
  const changed = await changeTagExpiration(call.ctx.db, live, expiresAtMs, {
    minimumMs: parseDurationSeconds(config.LABELED_EXPIRATION_MINIMUM) * 1000,
    maximumMs: parseDurationSeconds(config.LABELED_EXPIRATION_MAXIMUM) * 1000,
  });
  if (changed.previousMs === null && changed.expiresAtMs === null) return;
  await logApiAction(call, {
    kind: 'change_tag_expiration',
    namespaceId: repo.namespace_id,
    repositoryId: repo.id,
    metadata: {
      ...tagLogMetadata(call, repo, tag),
      expiration_date: changed.expiresAtMs === null ? null : Math.floor(changed.expiresAtMs / 1000),
      old_expiration_date: changed.previousMs === null ? null : Math.floor(changed.previousMs / 1000),
    },
  });
}

async function changeTag(call: ApiCall<Static<typeof ChangeTagBody>>) {
  const repo = await changeableRepository(call);
  const tag = call.params['tag'] ?? '';
  validateTagName(tag);
  // A move first, so that an expiration given with it applies to the tag's new row.
  if (call.body.manifest_digest !== undefined) await createOrMoveTag(call, repo, tag);
  if (call.body.expiration !== undefined) await setExpiration(call, repo, tag);
  return jsonString(call, 201, 'Updated');
}

async function removeTag(call: ApiCall) {
  const repo = await changeableRepository(call);
  const tag = call.params['tag'] ?? '';
  await deleteTag(call.ctx.db, repo.id, tag);
  await logApiAction(call, {
    kind: 'delete_tag',
    namespaceId: repo.namespace_id,
    repositoryId: repo.id,
    metadata: tagLogMetadata(call, repo, tag),
  });
  return undefined;
}

async function restore(call: ApiCall<Static<typeof RestoreTagBody>>) {
  const repo = await changeableRepository(call);
  const tag = call.params['tag'] ?? '';
  validateTagName(tag);
  const digest = call.body.manifest_digest;
  if (digest === undefined) throw new Invalid('input', 'Missing manifest_digest');
  await restoreTag(call.ctx.db, repo, tag, digest);
  await logApiAction(call, {
    kind: 'revert_tag',
    namespaceId: repo.namespace_id,
    repositoryId: repo.id,
    metadata: { ...tagLogMetadata(call, repo, tag), manifest_digest: digest },
  });
  return {};
}

async function manifestToExpire(call: ApiCall<Static<typeof ExpireTagBody>>, repoId: number, tag: string) {
  if (call.body.is_alive) {
    const live = await findLiveTag(call.ctx.db, repoId, tag);
    if (!live) throw new NotFound('tag', `tag ${tag} not found`);
    return { id: live.manifestId, digest: live.manifestDigest };
  }
  const digest = call.body.manifest_digest;
  if (digest === undefined) throw new Invalid('input', 'manifest_digest required when is_alive set to false');
  const manifest = await findManifestByDigest(call.ctx.db, repoId, digest);
  if (!manifest) throw new NotFound('manifest', `manifest ${digest} not found`);
  return { id: manifest.id, digest: manifest.digest };
}

async function expire(call: ApiCall<Static<typeof ExpireTagBody>>) {
  if (!call.ctx.config.PERMANENTLY_DELETE_TAGS) throw new NotFound('tag', 'removing tags from the time machine is disabled');
  const repo = await authorizeRepositoryRole(call.ctx, call.actor, repositoryParam(call), 'write');
  const tag = call.params['tag'] ?? '';
  const manifest = await manifestToExpire(call, repo.id, tag);
  const which = call.body.is_alive ? { alive: true as const } : { alive: false as const, manifestId: manifest.id };
  const updated = await removeFromTimeMachine(call.ctx.db, repo, tag, which);
  if (updated === 0) throw new NotFound('tag', `tag ${tag} has nothing in the time machine for ${manifest.digest}`);
  await logApiAction(call, {
    kind: 'permanently_delete_tag',
    namespaceId: repo.namespace_id,
    repositoryId: repo.id,
    metadata: { ...tagLogMetadata(call, repo, tag), manifest_digest: manifest.digest },
  });
  return jsonString(call, 200, '');
}

export function registerTagsRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/repository/{repository}/tag/',
    summary: 'List the full tag history of a repository, live and ended tags.',
    tag: 'tag',
    operationId: 'listRepoTags',
    query: ListQuery,
    handler: listTags,
  });

  router.add({
    method: 'PUT',
    path: '/api/v1/repository/{repository}/tag/{tag}',
    summary: 'Create or move a tag, or change when it expires.',
    tag: 'tag',
    operationId: 'changeTag',
    body: ChangeTagBody,
    status: 201,
    handler: changeTag,
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/repository/{repository}/tag/{tag}',
    summary: 'Delete a tag (it stays in the time machine).',
    tag: 'tag',
    operationId: 'deleteFullTag',
    status: 204,
    handler: removeTag,
  });

  router.add({
    method: 'POST',
    path: '/api/v1/repository/{repository}/tag/{tag}/restore',
    summary: 'Restore a tag to a manifest it pointed to within the time machine window.',
    tag: 'tag',
    operationId: 'restoreTag',
    body: RestoreTagBody,
    handler: restore,
  });

  router.add({
    method: 'POST',
    path: '/api/v1/repository/{repository}/tag/{tag}/expire',
    summary: 'Take a tag out of the time machine at once (PERMANENTLY_DELETE_TAGS).',
    tag: 'tag',
    operationId: 'removeTagFromTimemachine',
    body: ExpireTagBody,
    handler: expire,
  });
}
