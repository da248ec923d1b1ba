import type { Kysely } from 'kysely';
import type { QuaysideConfig } from '../config/load.js';
import type { Database } from '../db/tables.js';
import { Denied, Unauthorized } from '../errors.js';
import { findNamespace } from '../model/namespaces.js';
import {
  findRepository,
  formatRepositoryRef,
  type RepositoryListScope,
  type RepositoryRef,
  type RepositoryWithNamespace,
} from '../model/repositories.js';
import type { Actor, Principal } from './principal.js';

/**
 * The one place that answers "may X do Y to Z". Every HTTP surface asks here; nothing else checks
 * ownership, visibility or roles. Registry scope actions: pull (read), push (write), * (admin).
 */

export type RepositoryAction = 'pull' | 'push' | '*';

export interface AuthorizeDeps {
  db: Kysely<Database>;
  config: QuaysideConfig;
}

function hasFullSuperuserAccess(deps: AuthorizeDeps, principal: Principal): boolean {
  return principal.kind === 'user' && principal.superuser && deps.config.FEATURE_SUPERUSERS_FULL_ACCESS;
}

/** Whether writes are possible at all, whatever the caller's rights. */
export function registryAcceptsWrites(config: QuaysideConfig): boolean {
  return config.REGISTRY_STATE !== 'readonly' && !config.DISABLE_PUSHES;
}

/**
 * The actions `principal` holds on a repository, whether or not it exists yet. Used to mint
 * registry tokens (down-scoping, never an error) and to check requests made with basic auth.
 * `loaded` is the repository when the caller has already looked it up (null: it does not exist).
 */
export async function repositoryActions(
  deps: AuthorizeDeps,
  principal: Principal,
  ref: RepositoryRef,
  loaded?: RepositoryWithNamespace | null,
): Promise<Set<RepositoryAction>> {
  const repo = loaded === undefined ? await findRepository(deps.db, ref) : loaded;
  if (!repo) return actionsOnMissingRepository(deps, principal, ref);
  const granted = new Set<RepositoryAction>();
  if (repo.namespace_enabled !== 1) return granted;
  const isOwner = principal.kind === 'user' && repo.namespace_id === principal.id;
  const isAdmin = isOwner || hasFullSuperuserAccess(deps, principal);
  const anonymousAllowed = principal.kind !== 'anonymous' || deps.config.FEATURE_ANONYMOUS_ACCESS;
  if (isAdmin || (repo.visibility === 'public' && anonymousAllowed)) granted.add('pull');
  if (isAdmin && repo.state === 'NORMAL') {
    if (registryAcceptsWrites(deps.config)) granted.add('push');
    granted.add('*');
  }
  return granted;
}

/** A repository that does not exist yet: its owner holds every right on it (to learn it is unknown, and to create it by pushing). */
async function actionsOnMissingRepository(
  deps: AuthorizeDeps,
  principal: Principal,
  ref: RepositoryRef,
): Promise<Set<RepositoryAction>> {
  const granted = new Set<RepositoryAction>();
  if (principal.kind !== 'user') return granted;
  const namespace = await findNamespace(deps.db, ref.namespace);
  if (namespace?.enabled !== 1 || namespace.id !== principal.id) return granted;
  granted.add('pull');
  granted.add('*');
  if (registryAcceptsWrites(deps.config)) granted.add('push');
  return granted;
}

function tokenGrants(actor: Actor, ref: RepositoryRef, requestedPath: string): Set<string> {
  const full = formatRepositoryRef(ref);
  const actions = new Set<string>();
  for (const grant of actor.tokenAccess ?? []) {
    if (grant.type !== 'repository' || (grant.name !== full && grant.name !== requestedPath)) continue;
    for (const action of grant.actions) actions.add(action);
  }
  // '*' is administration, which includes reading and writing (Quay maps it to the admin role).
  if (actions.has('*')) {
    actions.add('pull');
    actions.add('push');
  }
  return actions;
}

/**
 * Throws Unauthorized (no or insufficient credentials: the client should authenticate) or Denied
 * (authenticated, but not allowed) unless `actor` may perform `action` on the repository.
 */
export async function authorizeRepository(
  deps: AuthorizeDeps,
  actor: Actor,
  ref: RepositoryRef,
  action: RepositoryAction,
  requestedPath: string = formatRepositoryRef(ref),
  loaded?: RepositoryWithNamespace | null,
): Promise<void> {
  const allowed = actor.tokenAccess
    ? tokenGrants(actor, ref, requestedPath).has(action)
    : (await repositoryActions(deps, actor.principal, ref, loaded)).has(action);
  if (allowed) return;
  const message = `not allowed to ${action === '*' ? 'administer' : action} ${formatRepositoryRef(ref)}`;
  if (actor.principal.kind === 'anonymous' || actor.tokenAccess) throw new Unauthorized(message);
  throw new Denied(message);
}

/** Which repositories `actor` may see in listings such as /v2/_catalog. */
export function repositoryListScope(deps: AuthorizeDeps, actor: Actor): RepositoryListScope | null {
  const { principal } = actor;
  if (principal.kind === 'anonymous') {
    return deps.config.FEATURE_PUBLIC_CATALOG && deps.config.FEATURE_ANONYMOUS_ACCESS
      ? { all: false, namespaceIds: [] }
      : null;
  }
  if (hasFullSuperuserAccess(deps, principal)) return { all: true };
  return { all: false, namespaceIds: [principal.id] };
}
