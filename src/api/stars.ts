import { type Static, Type as T } from '@sinclair/typebox';
import { authorizeOwnAccount, authorizeRepositoryRole, authorizeUnstar, repositoryListScope } from '../auth/authorize.js';
import { Invalid, NotFound } from '../errors.js';
import { parseRepositoryPath, type RepositoryRef } from '../model/repositories.js';
import { listRepositoriesPage } from '../model/repository-listing.js';
import { starRepository, unstarRepository } from '../model/stars.js';
import { decodeRepositoryPageToken, encodeRepositoryPageToken, repositoryParam } from './repositories.js';
import type { ApiCall, ApiRouter } from './router.js';

/**
 * Stars (Quay's StarredRepositoryList and StarredRepository in endpoints/api/user.py): the signed-in
 * user stars repositories they may read and lists them again.
 *
 * OAuth tokens need user:admin for all three, as Quay enforces: its handlers sit behind
 * require_user_admin (UserAdminPermission, which only user:admin grants a token). The repo:read
 * that Quay's discovery document shows for createStar is documentation only (require_scope
 * checks nothing), so a repo:read token without user:admin is refused there too.
 */

const PAGE_SIZE = 100;

const ListQuery = T.Object({
  next_page: T.Optional(T.String({ description: 'The page token for the next page' })),
});

const StarBody = T.Object({
  namespace: T.String({ minLength: 1, maxLength: 255, description: 'Namespace in which the repository belongs' }),
  repository: T.String({ minLength: 1, maxLength: 255, description: 'Repository name' }),
});

async function listStarred(call: ApiCall<unknown, Static<typeof ListQuery>>) {
  const user = authorizeOwnAccount(call.actor, 'user:admin');
  const after = call.query.next_page === undefined ? undefined : decodeRepositoryPageToken(call.query.next_page);
  // A repository the user can no longer read stays starred but is not shown.
  const scope = (await repositoryListScope(call.ctx, call.actor)) ?? { all: false, namespaceIds: [] };
  const page = await listRepositoriesPage(call.ctx.db, { scope, starredBy: user.id, includePublic: true, after, limit: PAGE_SIZE });
  const body: Record<string, unknown> = {
    repositories: page.repositories.map((r) => ({
      namespace: r.namespace,
      name: r.name,
      description: r.description,
      is_public: r.visibility === 'public',
    })),
  };
  if (page.next) body['next_page'] = encodeRepositoryPageToken(page.next);
  return body;
}

function starredRef(body: Static<typeof StarBody>): RepositoryRef {
  try {
    const ref = parseRepositoryPath(`${body.namespace}/${body.repository}`);
    if (ref.namespace === body.namespace) return ref;
  } catch (err) {
    if (!(err instanceof Invalid)) throw err;
  }
  throw new NotFound('repository', `repository ${body.namespace}/${body.repository} not found`);
}

async function createStar(call: ApiCall<Static<typeof StarBody>>) {
  const user = authorizeOwnAccount(call.actor, 'user:admin');
  const repo = await authorizeRepositoryRole(call.ctx, call.actor, starredRef(call.body), 'read');
  await starRepository(call.ctx.db, user.id, repo.id);
  return { namespace: repo.namespace_name, repository: repo.name };
}

async function deleteStar(call: ApiCall<unknown>) {
  const { userId, starred } = await authorizeUnstar(call.ctx, call.actor, repositoryParam(call));
  if (starred) await unstarRepository(call.ctx.db, userId, starred.id);
  return undefined;
}

export function registerStarsRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/user/starred',
    summary: 'List the repositories the signed-in user has starred.',
    tag: 'user',
    operationId: 'listStarredRepos',
    query: ListQuery,
    handler: listStarred,
  });

  router.add({
    method: 'POST',
    path: '/api/v1/user/starred',
    summary: 'Star a repository.',
    tag: 'user',
    operationId: 'createStar',
    body: StarBody,
    status: 201,
    handler: createStar,
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/user/starred/{repository}',
    summary: 'Remove a star from a repository.',
    tag: 'user',
    operationId: 'deleteStar',
    status: 204,
    handler: deleteStar,
  });
}
