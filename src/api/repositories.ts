import { performerId } from '../auth/principal.js';
import { type Static, Type as T } from '@sinclair/typebox';
import {
  apiRepositoryListScope,
  authorizeRepositoryRole,
  repositoryCreation,
  repositoryRole,
} from '../auth/authorize.js';
import type { RepositoryRole } from '../db/tables.js';
import { Conflict, Denied, Invalid, NotFound, Unauthorized } from '../errors.js';
import { repositoryRoleAtLeast } from '../model/access.js';
import { nowMs } from '../model/clock.js';
import { findNamespace, findNamespaceById } from '../model/namespaces.js';
import { DAY_MS, formatIsoDay, formatQuayDate } from '../model/quay-date.js';
import { requestQuotaRecount } from '../model/quota-recount.js';
import { quotaApiEnabled, repositoryQuotaReports } from '../model/quota-report.js';
import { parseRepositoryPath, type RepositoryRef, type RepositoryWithNamespace } from '../model/repositories.js';
import {
  isSettableRepositoryState,
  liveTagSummaries,
  markRepositoryForDeletion,
  setRepositoryDescription,
  setRepositoryState,
  setRepositoryVisibility,
  validateRepositoryName,
} from '../model/repository-admin.js';
import { createRepositoryWithPermissions } from '../model/repository-creation.js';
import {
  dailyActionCounts,
  lastModifiedTimes,
  listRepositoriesPage,
  POPULARITY_WINDOW_MS,
  type RepositoryListEntry,
  type RepositoryListPosition,
  recentActionCounts,
  starredAmong,
} from '../model/repository-listing.js';
import { isStarred } from '../model/stars.js';
import { encodePageToken, invalidPageToken, pageTokenFields } from './page-token.js';
import type { ApiCall, ApiRouter } from './router.js';
import { logApiAction } from './usage-log.js';

/**
 * Quay's repository resource (endpoints/api/repository.py): list, create, get, update the
 * description, delete, change visibility and state.
 */

/** Quay's REPOS_PER_PAGE. */
const PAGE_SIZE = 100;
/** includeStats covers this many days back (Quay's MAX_DAYS_IN_3_MONTHS). */
const STATS_DAYS = 92;
/** Quay shows at most this many tags in a repository's view. */
const MAX_TAGS_IN_VIEW = 500;
const MAX_DESCRIPTION_LENGTH = 100_000;

const Visibility = T.Union([T.Literal('public'), T.Literal('private')]);

const ListQuery = T.Object({
  namespace: T.Optional(T.String({ maxLength: 255, description: 'Filters the repositories returned to this namespace' })),
  starred: T.Boolean({ default: false, description: 'Filters the repositories returned to those starred by the user' }),
  public: T.Boolean({ default: false, description: 'Adds any repositories visible to the user by virtue of being public' }),
  last_modified: T.Boolean({ default: false, description: 'Whether to include when the repository was last modified.' }),
  popularity: T.Boolean({ default: false, description: "Whether to include the repository's popularity metric." }),
  repo_kind: T.Union([T.Literal('image'), T.Literal('application')], {
    default: 'image',
    description: 'The kind of repositories to return',
  }),
  next_page: T.Optional(T.String({ description: 'The page token for the next page' })),
});

const CreateBody = T.Object({
  repository: T.String({ minLength: 1, maxLength: 255 }),
  visibility: Visibility,
  description: T.Optional(T.Union([T.String({ maxLength: MAX_DESCRIPTION_LENGTH }), T.Null()])),
  namespace: T.Optional(T.String({ minLength: 1, maxLength: 255 })),
  repo_kind: T.Optional(T.Union([T.Literal('image'), T.Literal('application'), T.Null()])),
});

const GetQuery = T.Object({
  includeTags: T.Boolean({ default: true, description: 'Whether to include repository tags' }),
  includeStats: T.Boolean({ default: false, description: 'Whether to include action statistics' }),
});

const UpdateBody = T.Object({ description: T.String({ maxLength: MAX_DESCRIPTION_LENGTH }) });
const VisibilityBody = T.Object({ visibility: Visibility });
const StateBody = T.Object({ state: T.String({ maxLength: 64 }) });

/** The `{repository}` path parameter (`namespace/name`); a name no repository can have is not found. */
export function repositoryParam(call: ApiCall<unknown, unknown>): RepositoryRef {
  const path = call.params['repository'] ?? '';
  try {
    return parseRepositoryPath(path);
  } catch (err) {
    if (err instanceof Invalid) throw new NotFound('repository', `repository ${path} not found`);
    throw err;
  }
}

/** The repository of the `{repository}` path parameter, when the caller holds at least `role` on it. */
export async function authorizedRepository(
  call: ApiCall<unknown, unknown>,
  role: RepositoryRole,
): Promise<RepositoryWithNamespace> {
  return authorizeRepositoryRole(call.ctx, call.actor, repositoryParam(call), role);
}

// ---- next_page tokens -------------------------------------------------------------------------

export function encodeRepositoryPageToken(position: RepositoryListPosition): string {
  return encodePageToken({ ns: position.namespace, n: position.name });
}

export function decodeRepositoryPageToken(token: string): RepositoryListPosition {
  const { ns, n } = pageTokenFields(token);
  if (typeof ns !== 'string' || typeof n !== 'string' || ns.length > 255 || n.length > 255) throw invalidPageToken();
  return { namespace: ns, name: n };
}

// ---- views ------------------------------------------------------------------------------------

function listEntryView(entry: RepositoryListEntry) {
  return {
    namespace: entry.namespace,
    name: entry.name,
    description: entry.description,
    is_public: entry.visibility === 'public',
    kind: 'image',
    state: entry.state,
  };
}

/** The signed-in user or robot whose stars count; none for anonymous callers. */
function starringId(call: ApiCall<unknown, unknown>): number | undefined {
  return performerId(call.actor.principal) ?? undefined;
}

async function tagsView(call: ApiCall<unknown, unknown>, repositoryId: number) {
  const tags: Record<string, Record<string, unknown>> = {};
  for (const tag of await liveTagSummaries(call.ctx.db, repositoryId, MAX_TAGS_IN_VIEW)) {
    const view: Record<string, unknown> = {
      name: tag.name,
      size: tag.size,
      last_modified: formatQuayDate(tag.lastModifiedMs),
    };
    if (tag.expiresAtMs !== null) view['expiration'] = formatQuayDate(tag.expiresAtMs);
    view['manifest_digest'] = tag.manifestDigest;
    tags[tag.name] = view;
  }
  return tags;
}

/** Pulls and pushes per day over the last STATS_DAYS days, oldest first, zero on quiet days. */
async function statsView(call: ApiCall<unknown, unknown>, repositoryId: number) {
  const today = Math.floor(nowMs() / DAY_MS) * DAY_MS;
  const first = today - (STATS_DAYS - 1) * DAY_MS;
  const counts = new Map((await dailyActionCounts(call.ctx.db, repositoryId, first)).map((d) => [d.dayMs, d.count]));
  const stats: Array<{ date: string; count: number }> = [];
  for (let day = first; day <= today; day += DAY_MS) stats.push({ date: formatIsoDay(day), count: counts.get(day) ?? 0 });
  return stats;
}

async function repositoryView(
  call: ApiCall<unknown, unknown>,
  repo: RepositoryWithNamespace,
  options: { includeTags: boolean; includeStats: boolean },
) {
  const role = await repositoryRole(call.ctx, call.actor, repo);
  const namespace = await findNamespaceById(call.ctx.db, repo.namespace_id);
  const starrer = starringId(call);
  const view: Record<string, unknown> = {
    namespace: repo.namespace_name,
    name: repo.name,
    kind: 'image',
    description: repo.description,
    is_public: repo.visibility === 'public',
    is_organization: repo.namespace_kind === 'organization',
    is_starred: starrer === undefined ? false : await isStarred(call.ctx.db, starrer, repo.id),
    // Quay's badge token; Quayside has no badges, and Quay shows '' for public repositories too.
    status_token: '',
    trust_enabled: false,
    tag_expiration_s: namespace?.removed_tag_expiration_s ?? 0,
    is_free_account: true,
    state: repo.state,
    can_write: repositoryRoleAtLeast(role, 'write') && repo.state === 'NORMAL',
    can_admin: role === 'admin',
  };
  if (options.includeTags) view['tags'] = await tagsView(call, repo.id);
  if (options.includeStats) view['stats'] = await statsView(call, repo.id);
  return view;
}

/** Quay's metadata for repository actions: which repository, in which namespace. */
function repositoryLogEntry(repo: RepositoryWithNamespace) {
  return {
    namespaceId: repo.namespace_id,
    repositoryId: repo.id,
    metadata: { repo: repo.name, namespace: repo.namespace_name },
  };
}

// ---- handlers ---------------------------------------------------------------------------------

async function listRepositories(call: ApiCall<unknown, Static<typeof ListQuery>>) {
  const { query, ctx } = call;
  if (!query.namespace && !query.starred && !query.public) {
    throw new Invalid('input', 'namespace, starred or public are required for this API call');
  }
  const after = query.next_page === undefined ? undefined : decodeRepositoryPageToken(query.next_page);
  const starrer = starringId(call);
  if (query.starred && starrer === undefined) throw new Invalid('input', 'starred needs a signed-in user');
  const scope = await apiRepositoryListScope(ctx, call.actor);
  if (!scope) throw new Unauthorized('sign in to list repositories');
  // Quayside has image repositories only.
  if (query.repo_kind === 'application') return { repositories: [] };
  const page = await listRepositoriesPage(ctx.db, {
    scope,
    // As in Quay, starred=true lists every starred repository the caller may read.
    ...(query.starred ? { starredBy: starrer, includePublic: true } : { namespace: query.namespace, includePublic: query.public }),
    after,
    limit: PAGE_SIZE,
  });
  const ids = page.repositories.map((r) => r.id);
  const modified = query.last_modified ? await lastModifiedTimes(ctx.db, ids) : undefined;
  const actions = query.popularity ? await recentActionCounts(ctx.db, ids, nowMs() - POPULARITY_WINDOW_MS) : undefined;
  const starred = starrer === undefined ? undefined : await starredAmong(ctx.db, starrer, ids);
  const quotaReports = quotaApiEnabled(ctx.config) ? await repositoryQuotaReports(ctx.db, ctx.config, ids) : undefined;
  const repositories = page.repositories.map((entry) => {
    const view: Record<string, unknown> = listEntryView(entry);
    if (modified) {
      const ms = modified.get(entry.id);
      view['last_modified'] = ms === undefined ? null : Math.floor(ms / 1000);
    }
    if (actions) view['popularity'] = actions.get(entry.id) ?? 0;
    if (starred) view['is_starred'] = starred.has(entry.id);
    if (quotaReports) view['quota_report'] = quotaReports.get(entry.id) ?? { quota_bytes: 0, configured_quota: null };
    return view;
  });
  const body: Record<string, unknown> = { repositories };
  if (page.next) body['next_page'] = encodeRepositoryPageToken(page.next);
  return body;
}

async function createRepository(call: ApiCall<Static<typeof CreateBody>>) {
  const { body, ctx } = call;
  const { principal } = call.actor;
  if (principal.kind === 'anonymous') throw new Unauthorized('sign in to create a repository');
  if (body.repo_kind === 'application') throw new Invalid('input', 'application repositories are not supported');
  const namespaceName = body.namespace ?? principal.name;
  validateRepositoryName(namespaceName, body.repository, ctx.config.FEATURE_EXTENDED_REPOSITORY_NAMES);
  if ((await repositoryCreation(ctx, call.actor, namespaceName)) !== 'allowed') {
    throw new Denied(`you may not create repositories in namespace ${namespaceName}`);
  }
  const namespace = await findNamespace(ctx.db, namespaceName);
  if (!namespace) throw new NotFound('namespace', `namespace ${namespaceName} not found`);
  const { created, repository } = await createRepositoryWithPermissions(ctx.db, {
    namespace,
    name: body.repository,
    visibility: body.visibility,
    description: body.description ?? null,
    creatorId: principal.id,
  });
  if (!created) throw new Conflict('Repository already exists');
  await logApiAction(call, { kind: 'create_repo', ...repositoryLogEntry(repository) });
  return { namespace: namespaceName, name: body.repository, kind: 'image' };
}

async function changeState(call: ApiCall<Static<typeof StateBody>>) {
  const repo = await authorizedRepository(call, 'admin');
  const { state } = call.body;
  if (state === 'MIRROR' && !call.ctx.config.FEATURE_REPO_MIRROR) {
    throw new Invalid('input', `Unknown Repository State: ${state}`);
  }
  if (!isSettableRepositoryState(state)) throw new Invalid('input', `${state} is not a valid Repository state.`);
  await setRepositoryState(call.ctx.db, repo.id, state);
  const entry = repositoryLogEntry(repo);
  await logApiAction(call, { kind: 'change_repo_state', ...entry, metadata: { ...entry.metadata, state_changed: state } });
  return { success: true };
}

export function registerRepositoriesRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/repository',
    operationId: 'listRepos',
    summary: 'List the repositories the caller may see, by namespace or public visibility.',
    tag: 'repository',
    query: ListQuery,
    handler: listRepositories,
  });

  router.add({
    method: 'POST',
    path: '/api/v1/repository',
    operationId: 'createRepo',
    summary: 'Create a repository.',
    tag: 'repository',
    body: CreateBody,
    status: 201,
    handler: createRepository,
  });

  router.add({
    method: 'GET',
    path: '/api/v1/repository/{repository}',
    summary: 'Fetch a repository.',
    tag: 'repository',
    query: GetQuery,
    operationId: 'getRepo',
    handler: async (call) => {
      const repo = await authorizedRepository(call, 'read');
      return repositoryView(call, repo, call.query);
    },
  });

  router.add({
    method: 'PUT',
    path: '/api/v1/repository/{repository}',
    operationId: 'updateRepo',
    summary: "Update a repository's description.",
    tag: 'repository',
    body: UpdateBody,
    handler: async (call) => {
      const repo = await authorizedRepository(call, 'write');
      const { description } = call.body;
      await setRepositoryDescription(call.ctx.db, repo.id, description);
      const entry = repositoryLogEntry(repo);
      await logApiAction(call, { kind: 'set_repo_description', ...entry, metadata: { ...entry.metadata, description } });
      return { success: true };
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/repository/{repository}',
    operationId: 'deleteRepository',
    summary: 'Delete a repository.',
    tag: 'repository',
    status: 204,
    handler: async (call) => {
      const repo = await authorizedRepository(call, 'admin');
      await markRepositoryForDeletion(call.ctx.db, repo);
      if (call.ctx.config.FEATURE_QUOTA_MANAGEMENT) await requestQuotaRecount(call.ctx.db, repo.namespace_id);
      await logApiAction(call, { kind: 'delete_repo', ...repositoryLogEntry(repo) });
      return undefined;
    },
  });

  router.add({
    method: 'POST',
    path: '/api/v1/repository/{repository}/changevisibility',
    operationId: 'changeRepoVisibility',
    summary: 'Make a repository public or private.',
    tag: 'repository',
    body: VisibilityBody,
    handler: async (call) => {
      const repo = await authorizedRepository(call, 'admin');
      const { visibility } = call.body;
      await setRepositoryVisibility(call.ctx.db, repo.id, visibility);
      const entry = repositoryLogEntry(repo);
      await logApiAction(call, { kind: 'change_repo_visibility', ...entry, metadata: { ...entry.metadata, visibility } });
      return { success: true };
    },
  });

  router.add({
    method: 'PUT',
    path: '/api/v1/repository/{repository}/changestate',
    operationId: 'changeRepoState',
    summary: 'Set a repository to NORMAL, READ_ONLY or MIRROR.',
    tag: 'repository',
    body: StateBody,
    handler: changeState,
  });
}
