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
import { findNamespace, findNamespaceById } from '../model/namespaces.js';
import { parseRepositoryPath, type RepositoryRef, type RepositoryWithNamespace } from '../model/repositories.js';
import {
  isSettableRepositoryState,
  lastModifiedTimes,
  liveTagSummaries,
  listRepositoriesPage,
  markRepositoryForDeletion,
  type RepositoryListEntry,
  type RepositoryListPosition,
  setRepositoryDescription,
  setRepositoryState,
  setRepositoryVisibility,
  validateRepositoryName,
} from '../model/repository-admin.js';
import { createRepositoryWithPermissions } from '../model/repository-creation.js';
import type { ApiCall, ApiRouter } from './router.js';
import { formatQuayDate } from './views.js';

/**
 * Quay's repository resource (endpoints/api/repository.py): list, create, get, update the
 * description, delete, change visibility and state.
 */

const PAGE_SIZE = 100;
/** Quay shows at most this many tags in a repository's view. */
const MAX_TAGS_IN_VIEW = 500;
const MAX_DESCRIPTION_LENGTH = 100_000;
const MAX_PAGE_TOKEN_LENGTH = 2048;

const Visibility = T.Union([T.Literal('public'), T.Literal('private')]);

const ListQuery = T.Object({
  namespace: T.Optional(T.String({ maxLength: 255 })),
  starred: T.Boolean({ default: false }),
  public: T.Boolean({ default: false }),
  last_modified: T.Boolean({ default: false }),
  popularity: T.Boolean({ default: false }),
  repo_kind: T.Optional(T.String()),
  next_page: T.Optional(T.String()),
});

const CreateBody = T.Object({
  repository: T.String({ minLength: 1, maxLength: 255 }),
  visibility: Visibility,
  description: T.Optional(T.Union([T.String({ maxLength: MAX_DESCRIPTION_LENGTH }), T.Null()])),
  namespace: T.Optional(T.String({ minLength: 1, maxLength: 255 })),
  repo_kind: T.Optional(T.Union([T.Literal('image'), T.Literal('application'), T.Null()])),
});

const GetQuery = T.Object({
  includeTags: T.Boolean({ default: true }),
  includeStats: T.Boolean({ default: false }),
});

const UpdateBody = T.Object({ description: T.String({ maxLength: MAX_DESCRIPTION_LENGTH }) });
const VisibilityBody = T.Object({ visibility: Visibility });
const StateBody = T.Object({ state: T.String({ maxLength: 64 }) });

/** The `{repository}` path parameter (`namespace/name`); a name no repository can have is not found. */
function repositoryParam(call: ApiCall<unknown, unknown>): RepositoryRef {
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

function encodePageToken(position: RepositoryListPosition): string {
  return Buffer.from(JSON.stringify({ ns: position.namespace, n: position.name }), 'utf8').toString('base64url');
}

function decodePageToken(token: string): RepositoryListPosition {
  const invalid = new Invalid('input', 'next_page is not a valid page token');
  if (token.length > MAX_PAGE_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) throw invalid;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  const { ns, n } = (parsed ?? {}) as { ns?: unknown; n?: unknown };
  if (typeof ns !== 'string' || typeof n !== 'string' || ns.length > 255 || n.length > 255) throw invalid;
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
    is_starred: false,
  };
}

async function tagsView(call: ApiCall<unknown, unknown>, repositoryId: number) {
  const tags: Record<string, { name: string; manifest_digest: string; size: number | null; last_modified: string | null }> =
    {};
  for (const tag of await liveTagSummaries(call.ctx.db, repositoryId, MAX_TAGS_IN_VIEW)) {
    tags[tag.name] = {
      name: tag.name,
      manifest_digest: tag.manifestDigest,
      size: tag.size,
      last_modified: formatQuayDate(tag.lastModifiedMs),
    };
  }
  return tags;
}

async function repositoryView(call: ApiCall<unknown, unknown>, repo: RepositoryWithNamespace, includeTags: boolean) {
  const role = await repositoryRole(call.ctx, call.actor, repo);
  const namespace = await findNamespaceById(call.ctx.db, repo.namespace_id);
  const view: Record<string, unknown> = {
    namespace: repo.namespace_name,
    name: repo.name,
    kind: 'image',
    description: repo.description,
    is_public: repo.visibility === 'public',
    is_organization: repo.namespace_kind === 'organization',
    is_starred: false,
    status_token: '',
    trust_enabled: false,
    tag_expiration_s: namespace?.removed_tag_expiration_s ?? 0,
    is_free_account: true,
    state: repo.state,
    can_write: repositoryRoleAtLeast(role, 'write') && repo.state === 'NORMAL',
    can_admin: role === 'admin',
  };
  if (includeTags) view['tags'] = await tagsView(call, repo.id);
  return view;
}

// ---- handlers ---------------------------------------------------------------------------------

async function listRepositories(call: ApiCall<unknown, Static<typeof ListQuery>>) {
  const { query } = call;
  if (!query.namespace && !query.starred && !query.public) {
    throw new Invalid('input', 'namespace, starred or public are required for this API call');
  }
  const after = query.next_page === undefined ? undefined : decodePageToken(query.next_page);
  if (query.starred) {
    if (call.actor.principal.kind === 'anonymous') throw new Invalid('input', 'starred needs a signed-in user');
    // Stars are not stored yet, so nobody has starred anything.
    return { repositories: [] };
  }
  const scope = await apiRepositoryListScope(call.ctx, call.actor);
  if (!scope) throw new Unauthorized('sign in to list repositories');
  const page = await listRepositoriesPage(call.ctx.db, {
    scope,
    namespace: query.namespace,
    includePublic: query.public,
    after,
    limit: PAGE_SIZE,
  });
  const modified = query.last_modified
    ? await lastModifiedTimes(
        call.ctx.db,
        page.repositories.map((r) => r.id),
      )
    : undefined;
  const repositories = page.repositories.map((entry) => {
    const view: Record<string, unknown> = listEntryView(entry);
    if (modified) {
      const ms = modified.get(entry.id);
      view['last_modified'] = ms === undefined ? null : Math.floor(ms / 1000);
    }
    if (query.popularity) view['popularity'] = 0;
    return view;
  });
  const body: Record<string, unknown> = { repositories };
  if (page.next) body['next_page'] = encodePageToken(page.next);
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
  const { created } = await createRepositoryWithPermissions(ctx.db, {
    namespace,
    name: body.repository,
    visibility: body.visibility,
    description: body.description ?? null,
    creatorId: principal.id,
  });
  if (!created) throw new Conflict('Repository already exists');
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
  return { success: true };
}

export function registerRepositoriesRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/repository',
    summary: 'List the repositories the caller may see, by namespace or public visibility.',
    tag: 'repository',
    query: ListQuery,
    handler: listRepositories,
  });

  router.add({
    method: 'POST',
    path: '/api/v1/repository',
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
    handler: async (call) => {
      const repo = await authorizedRepository(call, 'read');
      return repositoryView(call, repo, call.query.includeTags);
    },
  });

  router.add({
    method: 'PUT',
    path: '/api/v1/repository/{repository}',
    summary: "Update a repository's description.",
    tag: 'repository',
    body: UpdateBody,
    handler: async (call) => {
      const repo = await authorizedRepository(call, 'write');
      await setRepositoryDescription(call.ctx.db, repo.id, call.body.description);
      return { success: true };
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/repository/{repository}',
    summary: 'Delete a repository.',
    tag: 'repository',
    status: 204,
    handler: async (call) => {
      const repo = await authorizedRepository(call, 'admin');
      await markRepositoryForDeletion(call.ctx.db, repo);
      return undefined;
    },
  });

  router.add({
    method: 'POST',
    path: '/api/v1/repository/{repository}/changevisibility',
    summary: 'Make a repository public or private.',
    tag: 'repository',
    body: VisibilityBody,
    handler: async (call) => {
      const repo = await authorizedRepository(call, 'admin');
      await setRepositoryVisibility(call.ctx.db, repo.id, call.body.visibility);
      return { success: true };
    },
  });

  router.add({
    method: 'PUT',
    path: '/api/v1/repository/{repository}/changestate',
    summary: 'Set a repository to NORMAL, READ_ONLY or MIRROR.',
    tag: 'repository',
    body: StateBody,
    handler: changeState,
  });
}
