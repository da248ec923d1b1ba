import type { Kysely } from 'kysely';
import type { QuaysideConfig } from '../config/load.js';
import type { Database, RepositoryRole, TeamRole } from '../db/tables.js';
import { Denied, Invalid, NotFound, ReadOnly, Unauthorized } from '../errors.js';
import {
  administeredOrganizationIds,
  grantedRepositoryRole,
  mirrorRobotId,
  organizationTeamRole,
  repositoryRoleAtLeast,
  teamRoleAtLeast,
} from '../model/access.js';
import { repositoriesHoldingBlob } from '../model/blobs.js';
import { findNamespace, type Namespace } from '../model/namespaces.js';
import {
  findRepository,
  findRepositoryRefById,
  formatRepositoryRef,
  type RepositoryListScope,
  type RepositoryRef,
  type RepositoryWithNamespace,
} from '../model/repositories.js';
import { isStarred } from '../model/stars.js';
import { findTeam, memberTeamIds, type Team } from '../model/teams.js';
import { findUser } from '../model/users.js';
import { isSuperuserAccount } from './credentials.js';
import type { UserDirectory } from './directory.js';
import type { Actor, Identity, Principal } from './principal.js';

/**
 * The one place that answers "may X do Y to Z". Every HTTP surface asks here; nothing else checks
 * ownership, visibility, roles, repository state or token scopes.
 *
 * Registry scope actions: pull (read), push (write), * (admin). Repository roles come from owning
 * the namespace, explicit permissions (user, robot, team), membership of an organization's admin
 * team, and FEATURE_SUPERUSERS_FULL_ACCESS. OAuth access tokens cap them by scope.
 */

export type RepositoryAction = 'pull' | 'push' | '*';

export interface AuthorizeDeps {
  db: Kysely<Database>;
  config: QuaysideConfig;
}

/** Quay's OAuth scopes (auth/scopes.py). */
export const OAUTH_SCOPES = [
  'repo:read',
  'repo:write',
  'repo:admin',
  'repo:create',
  'user:read',
  'user:admin',
  'org:admin',
  'super:user',
] as const;
export type OAuthScope = (typeof OAUTH_SCOPES)[number];

export function isOAuthScope(value: string): value is OAuthScope {
  return (OAUTH_SCOPES as readonly string[]).includes(value);
}

function scopeAllows(identity: Identity, scope: OAuthScope): boolean {
  return identity.scopes === undefined || identity.scopes.has(scope);
}

/** The strongest repository role an OAuth token's scopes leave; 'admin' when unscoped. */
function repositoryScopeCap(identity: Identity): RepositoryRole | null {
  if (scopeAllows(identity, 'repo:admin')) return 'admin';
  if (scopeAllows(identity, 'repo:write')) return 'write';
  if (scopeAllows(identity, 'repo:read')) return 'read';
  return null;
}

function capRole(role: RepositoryRole | null, cap: RepositoryRole | null): RepositoryRole | null {
  if (role === null || cap === null) return null;
  return repositoryRoleAtLeast(cap, role) ? role : cap;
}

export function isSuperuserPrincipal(principal: Principal): principal is Extract<Principal, { kind: 'user' }> {
  return principal.kind === 'user' && principal.superuser;
}

function hasFullSuperuserAccess(deps: AuthorizeDeps, identity: Identity): boolean {
  return (
    isSuperuserPrincipal(identity.principal) &&
    deps.config.FEATURE_SUPERUSERS_FULL_ACCESS &&
    scopeAllows(identity, 'super:user')
  );
}

function isGlobalReadonlySuperuser(deps: AuthorizeDeps, principal: Principal): boolean {
  return principal.kind === 'user' && deps.config.GLOBAL_READONLY_SUPER_USERS.includes(principal.name);
}

/**
 * Whether writes are possible at all, whatever the caller's rights. DISABLE_PUSHES does not count
 * here: it refuses uploads and manifest pushes at the endpoints, while deletes (which need the
 * push action) keep working.
 */
export function registryAcceptsWrites(config: QuaysideConfig): boolean {
  return config.REGISTRY_STATE !== 'readonly';
}

function anonymousAllowed(deps: AuthorizeDeps, principal: Principal): boolean {
  return principal.kind !== 'anonymous' || deps.config.FEATURE_ANONYMOUS_ACCESS;
}

/**
 * The role `identity` holds on an existing repository, ignoring public visibility: owner and
 * superuser-with-full-access are admins, grants come from the permission tables, scopes cap them.
 */
export async function repositoryRole(
  deps: AuthorizeDeps,
  identity: Identity,
  repo: RepositoryWithNamespace,
): Promise<RepositoryRole | null> {
  const { principal } = identity;
  if (principal.kind === 'anonymous' || repo.namespace_enabled !== 1) return null;
  const cap = repositoryScopeCap(identity);
  if (cap === null) return null;
  if (hasFullSuperuserAccess(deps, identity)) return cap;
  if (principal.kind === 'user' && repo.namespace_id === principal.id) return cap;
  let role = await grantedRepositoryRole(deps.db, principal.id, repo);
  if (role === null && isGlobalReadonlySuperuser(deps, principal)) role = 'read';
  return capRole(role, cap);
}

/** Whether `identity` may read the repository: a role, or public visibility. */
function mayRead(deps: AuthorizeDeps, identity: Identity, repo: RepositoryWithNamespace, role: RepositoryRole | null) {
  if (repositoryRoleAtLeast(role, 'read')) return true;
  return repo.namespace_enabled === 1 && repo.visibility === 'public' && anonymousAllowed(deps, identity.principal);
}

/**
 * The actions `identity` holds on a repository, whether or not it exists yet. Used to mint
 * registry tokens (down-scoping, never an error) and to check requests made with basic auth.
 * `loaded` is the repository when the caller has already looked it up (null: it does not exist).
 */
export async function repositoryActions(
  deps: AuthorizeDeps,
  identity: Identity,
  ref: RepositoryRef,
  loaded?: RepositoryWithNamespace | null,
): Promise<Set<RepositoryAction>> {
  const repo = loaded === undefined ? await findRepository(deps.db, ref) : loaded;
  if (!repo) return actionsOnMissingRepository(deps, identity, ref);
  const granted = new Set<RepositoryAction>();
  const role = await repositoryRole(deps, identity, repo);
  if (mayRead(deps, identity, repo, role)) granted.add('pull');
  if (registryAcceptsWrites(deps.config) && (await mayPushTo(deps, identity, repo, role))) granted.add('push');
  if (role === 'admin' && repo.state === 'NORMAL') granted.add('*');
  return granted;
}

/**
 * Pushes need write on a NORMAL repository; a MIRROR repository takes them only from its mirror
 * robot, which also needs write (as in Quay; the mirror API grants it).
 */
async function mayPushTo(
  deps: AuthorizeDeps,
  identity: Identity,
  repo: RepositoryWithNamespace,
  role: RepositoryRole | null,
): Promise<boolean> {
  if (!repositoryRoleAtLeast(role, 'write')) return false;
  if (repo.state === 'NORMAL') return true;
  if (repo.state === 'MIRROR' && identity.principal.kind === 'robot') {
    return (await mirrorRobotId(deps.db, repo.id)) === identity.principal.id;
  }
  return false;
}

/** Whether a mirror sync may write into the repository as `identity` (its mirror robot, holding write). */
export async function mayWriteMirror(deps: AuthorizeDeps, identity: Identity, repo: RepositoryWithNamespace): Promise<boolean> {
  const actions = await repositoryActions(deps, identity, { namespace: repo.namespace_name, name: repo.name }, repo);
  return actions.has('push');
}

/** How many other repositories holding a blob are looked at for a mount source. */
const MOUNT_CANDIDATES = 20;

/**
 * For whom a blob is mounted: an identity, which must be able to pull the source (a registry
 * client's cross-repository mount), or `public`: only sources anyone may read, for a writer
 * acting on someone else's word (the mirror, whose remote names the digests).
 */
export type MountReader = Identity | 'public';

/**
 * A repository of this registry other than `targetRepositoryId` that holds the blob and that
 * `reader` may read, to link the blob from instead of receiving its bytes; repositories being
 * deleted are no source.
 */
export async function blobMountSource(
  deps: AuthorizeDeps,
  reader: MountReader,
  blobId: number,
  targetRepositoryId: number,
): Promise<RepositoryWithNamespace | undefined> {
  for (const candidateId of await repositoriesHoldingBlob(deps.db, blobId, targetRepositoryId, MOUNT_CANDIDATES)) {
    const ref = await findRepositoryRefById(deps.db, candidateId);
    const live = ref && (await findRepository(deps.db, ref));
    if (!ref || !live) continue;
    const readable =
      reader === 'public'
        ? live.visibility === 'public' && live.namespace_enabled === 1
        : (await repositoryActions(deps, reader, ref, live)).has('pull');
    if (readable) return live;
  }
  return undefined;
}

/** How a new repository may come to exist in a namespace: directly, after creating the namespace as an organization, or not at all. */
export type RepositoryCreation = 'allowed' | 'create-organization' | 'denied';

/**
 * Whether `identity` may create repositories in `namespaceName`: its own user namespace, or an
 * organization where one of its teams has the creator or admin role. With CREATE_NAMESPACE_ON_PUSH
 * a user may push into a namespace that does not exist yet, which becomes an organization.
 */
export async function repositoryCreation(
  deps: AuthorizeDeps,
  identity: Identity,
  namespaceName: string,
): Promise<RepositoryCreation> {
  const { principal } = identity;
  if (principal.kind === 'anonymous' || !scopeAllows(identity, 'repo:create')) return 'denied';
  const namespace = await findNamespace(deps.db, namespaceName);
  if (!namespace) {
    return principal.kind === 'user' && deps.config.createNamespaceOnPush ? 'create-organization' : 'denied';
  }
  if (namespace.enabled !== 1 || namespace.kind === 'robot') return 'denied';
  if (hasFullSuperuserAccess(deps, identity)) return 'allowed';
  if (namespace.kind === 'user') return principal.kind === 'user' && namespace.id === principal.id ? 'allowed' : 'denied';
  const teamRole = await organizationTeamRole(deps.db, principal.id, namespace.id);
  return teamRoleAtLeast(teamRole, 'creator') ? 'allowed' : 'denied';
}

/** A repository that does not exist yet: whoever may create it holds every right on it. */
async function actionsOnMissingRepository(
  deps: AuthorizeDeps,
  identity: Identity,
  ref: RepositoryRef,
): Promise<Set<RepositoryAction>> {
  const granted = new Set<RepositoryAction>();
  if ((await repositoryCreation(deps, identity, ref.namespace)) === 'denied') return granted;
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

function refusal(actor: Identity & { tokenAccess?: unknown }, message: string): Error {
  if (actor.principal.kind === 'anonymous' || actor.tokenAccess) return new Unauthorized(message);
  return new Denied(message);
}

/**
 * Registry check: throws Unauthorized (no or insufficient credentials: the client should
 * authenticate) or Denied (authenticated, but not allowed) unless `actor` may perform `action`.
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
    : (await repositoryActions(deps, actor, ref, loaded)).has(action);
  if (allowed) return;
  throw refusal(actor, `not allowed to ${action === '*' ? 'administer' : action} ${formatRepositoryRef(ref)}`);
}

/** Which repositories `actor` may see in listings such as /v2/_catalog and the repository API. */
export async function repositoryListScope(deps: AuthorizeDeps, actor: Identity): Promise<RepositoryListScope | null> {
  const { principal } = actor;
  if (principal.kind === 'anonymous') {
    return deps.config.FEATURE_PUBLIC_CATALOG && deps.config.FEATURE_ANONYMOUS_ACCESS
      ? { all: false, namespaceIds: [] }
      : null;
  }
  if (repositoryScopeCap(actor) === null) return { all: false, namespaceIds: [] };
  if (hasFullSuperuserAccess(deps, actor) || isGlobalReadonlySuperuser(deps, principal)) return { all: true };
  const namespaceIds = await administeredOrganizationIds(deps.db, principal.id);
  if (principal.kind === 'user') namespaceIds.push(principal.id);
  return { all: false, namespaceIds, memberId: principal.id };
}

/**
 * /v2/_catalog: what the caller may list. A registry bearer token must have been issued with
 * registry:catalog:*; anonymous callers need FEATURE_PUBLIC_CATALOG. Throws Unauthorized otherwise.
 */
export async function authorizeCatalog(deps: AuthorizeDeps, actor: Actor): Promise<RepositoryListScope> {
  const scope = await repositoryListScope(deps, actor);
  if (!scope) throw new Unauthorized('authentication required to list repositories');
  const catalogGranted = (actor.tokenAccess ?? []).some(
    (grant) => grant.type === 'registry' && grant.name === 'catalog' && grant.actions.includes('*'),
  );
  if (actor.tokenAccess && !catalogGranted) throw new Unauthorized('this token does not grant registry:catalog:*');
  return scope;
}

/**
 * API check on an existing repository: returns it when `actor` holds `needed` (read is also met by
 * public visibility). Unknown repositories are NotFound; others Unauthorized or Denied.
 */
export async function authorizeRepositoryRole(
  deps: AuthorizeDeps,
  actor: Identity,
  ref: RepositoryRef,
  needed: RepositoryRole,
): Promise<RepositoryWithNamespace> {
  const repo = await findRepository(deps.db, ref);
  if (!repo) throw new NotFound('repository', `repository ${formatRepositoryRef(ref)} not found`);
  const role = await repositoryRole(deps, actor, repo);
  const allowed = needed === 'read' ? mayRead(deps, actor, repo, role) : repositoryRoleAtLeast(role, needed);
  if (!allowed) throw refusal(actor, `you do not have ${needed} permission on ${formatRepositoryRef(ref)}`);
  return repo;
}

/**
 * API changes to a repository's content (tags, labels): the write role, on a repository in NORMAL
 * state. As Quay's disallow_for_non_normal_repositories, READ_ONLY and MIRROR repositories refuse
 * such changes (503) from everyone, their mirror robot included.
 */
export async function authorizeRepositoryContentChange(
  deps: AuthorizeDeps,
  actor: Identity,
  ref: RepositoryRef,
): Promise<RepositoryWithNamespace> {
  const repo = await authorizeRepositoryRole(deps, actor, ref, 'write');
  if (repo.state !== 'NORMAL') throw new ReadOnly(`Repository is in read only or mirror mode: ${repo.state}`);
  return repo;
}

/**
 * Reading what only a repository's administrators see, such as its usage logs or its mirror
 * configuration (Quay's require_repo_admin allowing global read-only superusers): its
 * administrators, and global read-only superusers, whose OAuth tokens need repo:admin or
 * super:user (as organization audits need org:admin). Unknown repositories are NotFound.
 */
export async function authorizeRepositoryAdminView(
  deps: AuthorizeDeps,
  actor: Identity,
  ref: RepositoryRef,
): Promise<RepositoryWithNamespace> {
  if (!isGlobalReadonlySuperuser(deps, actor.principal)) return authorizeRepositoryRole(deps, actor, ref, 'admin');
  const repo = await findRepository(deps.db, ref);
  if (!repo) throw new NotFound('repository', `repository ${formatRepositoryRef(ref)} not found`);
  if (!scopeAllows(actor, 'repo:admin') && !scopeAllows(actor, 'super:user')) {
    throw new Denied('this token lacks the repo:admin or super:user scope');
  }
  return repo;
}

/**
 * Taking a star off a repository (Quay's deleteStar): the user's own star may always go, even from
 * a repository they can no longer read. Without a star the repository must be readable, so the
 * answer does not tell a private repository from a missing one. `starred` is the repository to
 * unstar, null when there is nothing to remove.
 */
export async function authorizeUnstar(
  deps: AuthorizeDeps,
  actor: Identity,
  ref: RepositoryRef,
): Promise<{ userId: number; starred: RepositoryWithNamespace | null }> {
  const user = authorizeOwnAccount(actor, 'user:admin');
  const repo = await findRepository(deps.db, ref);
  if (repo && (await isStarred(deps.db, user.id, repo.id))) return { userId: user.id, starred: repo };
  await authorizeRepositoryRole(deps, actor, ref, 'read');
  return { userId: user.id, starred: null };
}

/** The role `identity` holds in an organization: its strongest team role; admin for full-access superusers. */
export async function organizationRole(
  deps: AuthorizeDeps,
  identity: Identity,
  organization: Namespace,
): Promise<TeamRole | null> {
  const { principal } = identity;
  if (principal.kind === 'anonymous') return null;
  if (hasFullSuperuserAccess(deps, identity)) return 'admin';
  const role = await organizationTeamRole(deps.db, principal.id, organization.id);
  // Administering an organization through an OAuth token needs org:admin.
  if (role === 'admin' && !scopeAllows(identity, 'org:admin')) return 'member';
  return role;
}

/**
 * API check on an organization: `member` (any team role: see the organization and its teams) or
 * `admin` (manage teams, members, robots, default permissions and settings).
 */
export async function authorizeOrganization(
  deps: AuthorizeDeps,
  actor: Identity,
  name: string,
  needed: 'member' | 'admin',
): Promise<Namespace> {
  const organization = await findNamespace(deps.db, name);
  if (organization?.kind !== 'organization') throw new NotFound('namespace', `organization ${name} not found`);
  const role = await organizationRole(deps, actor, organization);
  if (needed === 'admin' ? role !== 'admin' : role === null) {
    throw refusal(actor, `you must be ${needed === 'admin' ? 'an administrator' : 'a member'} of organization ${name}`);
  }
  return organization;
}

/** The signed-in user acting on their own account; robots and anonymous callers are refused. */
export function authorizeOwnAccount(
  actor: Identity,
  needed: 'user:read' | 'user:admin',
): Extract<Principal, { kind: 'user' }> {
  const { principal } = actor;
  if (principal.kind === 'anonymous') throw new Unauthorized('you must be signed in');
  if (principal.kind !== 'user') throw new Denied('robot accounts cannot use this endpoint');
  if (!ownAccountScopeAllows(actor, needed)) throw new Denied(`this token lacks the ${needed} scope`);
  return principal;
}

function ownAccountScopeAllows(actor: Identity, needed: 'user:read' | 'user:admin'): boolean {
  return scopeAllows(actor, needed) || (needed === 'user:read' && scopeAllows(actor, 'user:admin'));
}

/**
 * Whether the caller is user `userId` acting on their own account with `needed`: for deciding
 * which parts of an account's view to show, where a refusal is not an error.
 */
export function actsAsAccount(actor: Identity, userId: number, needed: 'user:read' | 'user:admin'): boolean {
  const { principal } = actor;
  return principal.kind === 'user' && principal.id === userId && ownAccountScopeAllows(actor, needed);
}

/** Whether the caller holds superuser rights on this request (see authorizeSuperuser). */
export function actsAsSuperuser(actor: Identity): boolean {
  return isSuperuserPrincipal(actor.principal) && scopeAllows(actor, 'super:user');
}

/**
 * Whether the health endpoints may add their diagnostics (each check's failure, host name, key
 * id) to the answer: superusers only, as in Quay; everyone else sees the service booleans.
 */
export function mayViewHealthDiagnostics(actor: Identity): boolean {
  return actsAsSuperuser(actor);
}

/** Superuser endpoints: a user listed as superuser, and super:user scope when using an OAuth token. */
export function authorizeSuperuser(actor: Identity): Extract<Principal, { kind: 'user' }> {
  const { principal } = actor;
  if (principal.kind === 'anonymous') throw new Unauthorized('you must be signed in');
  if (!actsAsSuperuser(actor) || !isSuperuserPrincipal(principal)) {
    throw new Denied('this operation requires superuser rights');
  }
  return principal;
}

/**
 * The account a superuser-API write acts on (change, delete, take ownership): never another
 * superuser's account, which configuration manages (bad input, as in Quay). The caller must
 * already have passed authorizeSuperuser.
 */
export async function authorizeManagedAccount(
  deps: AuthorizeDeps & { directory?: UserDirectory | undefined },
  user: Namespace,
  refusal: string,
): Promise<void> {
  if (await isSuperuserAccount(deps, user)) throw new Invalid('input', refusal);
}

/** authorizeManagedAccount for taking ownership of namespace `name` (an organization passes). */
export async function authorizeOwnershipTarget(
  deps: AuthorizeDeps & { directory?: UserDirectory | undefined },
  name: string,
): Promise<void> {
  const user = await findUser(deps.db, name);
  if (user) await authorizeManagedAccount(deps, user, 'Cannot take ownership of a superuser');
}

/**
 * Read-only superuser endpoints (Quay's allow_if_any_superuser): superusers, and the global
 * read-only superusers of GLOBAL_READONLY_SUPER_USERS; OAuth tokens need super:user. Writes use
 * authorizeSuperuser, which global read-only superusers never pass.
 */
export function authorizeSuperuserRead(deps: AuthorizeDeps, actor: Identity): Extract<Principal, { kind: 'user' }> {
  const { principal } = actor;
  if (principal.kind === 'user' && isGlobalReadonlySuperuser(deps, principal) && scopeAllows(actor, 'super:user')) {
    return principal;
  }
  return authorizeSuperuser(actor);
}

/**
 * Administration of a namespace's robots, default permissions and applications: the user
 * themselves for a user namespace, an organization admin for an organization.
 */
export async function authorizeNamespaceAdmin(deps: AuthorizeDeps, actor: Identity, name: string): Promise<Namespace> {
  const namespace = await findNamespace(deps.db, name);
  if (namespace?.kind === 'organization') return authorizeOrganization(deps, actor, name, 'admin');
  if (namespace?.kind !== 'user') throw new NotFound('namespace', `namespace ${name} not found`);
  const user = authorizeOwnAccount(actor, 'user:admin');
  if (user.id !== namespace.id && !hasFullSuperuserAccess(deps, actor)) {
    throw new Denied(`you cannot administer namespace ${name}`);
  }
  return namespace;
}

/**
 * Listing an organization's robot accounts. Any member may see the list; only administrators
 * (`admin: true`) may see tokens and permissions. As in Quay, an OAuth token needs org:admin even
 * for the list.
 */
export async function authorizeOrganizationRobotListing(
  deps: AuthorizeDeps,
  actor: Identity,
  name: string,
): Promise<{ organization: Namespace; admin: boolean }> {
  const organization = await authorizeOrganization(deps, actor, name, 'member');
  if (!scopeAllows(actor, 'org:admin')) throw new Denied('this token lacks the org:admin scope');
  return { organization, admin: (await organizationRole(deps, actor, organization)) === 'admin' };
}

/** Scopes that include weaker ones: a token with repo:admin may also write and read. */
const IMPLIED_SCOPES: Partial<Record<OAuthScope, readonly OAuthScope[]>> = {
  'repo:admin': ['repo:write', 'repo:read'],
  'repo:write': ['repo:read'],
};

function scopeCoveredBy(identity: Identity, scope: OAuthScope): boolean {
  if (scopeAllows(identity, scope)) return true;
  return OAUTH_SCOPES.some((held) => identity.scopes?.has(held) && IMPLIED_SCOPES[held]?.includes(scope));
}

/**
 * Granting a new OAuth access token to an application (/oauth/authorizeapp): a signed-in user. A
 * caller that itself holds an OAuth token needs user:admin and may only pass on scopes its token
 * covers, so a narrow token can never mint a broader one.
 */
export function authorizeScopeGrant(
  actor: Identity,
  requested: readonly OAuthScope[],
): Extract<Principal, { kind: 'user' }> {
  const user = authorizeOwnAccount(actor, 'user:admin');
  const uncovered = requested.filter((scope) => !scopeCoveredBy(actor, scope));
  if (uncovered.length > 0) throw new Denied(`this token cannot grant the scopes ${uncovered.join(', ')}`);
  return user;
}

/** What an organization's page shows the caller (Quay's org view): see authorizeOrganizationView. */
export interface OrganizationViewScope {
  role: TeamRole | null;
  isAdmin: boolean;
  /** Members (and global read-only superusers) see the team list. */
  seesTeams: boolean;
  /** Administrators (and global read-only superusers) see the contact e-mail. */
  seesEmail: boolean;
  /** Teams whose members the caller may list: all of them, or those it belongs to. */
  viewableTeamIds: 'all' | ReadonlySet<number>;
}

/** The organization's page is public in Quay; how much of it the caller sees depends on its role. */
export async function organizationViewScope(
  deps: AuthorizeDeps,
  actor: Identity,
  organization: Namespace,
): Promise<OrganizationViewScope> {
  const role = await organizationRole(deps, actor, organization);
  const isAdmin = role === 'admin';
  const auditor = isGlobalReadonlySuperuser(deps, actor.principal);
  let viewableTeamIds: OrganizationViewScope['viewableTeamIds'] = 'all';
  if (!isAdmin && !auditor) {
    const { principal } = actor;
    viewableTeamIds = new Set(principal.kind === 'anonymous' ? [] : await memberTeamIds(deps.db, organization.id, principal.id));
  }
  return { role, isAdmin, seesTeams: role !== null || auditor, seesEmail: isAdmin || auditor, viewableTeamIds };
}

function requireOrgAdminScope(actor: Identity): void {
  if (!scopeAllows(actor, 'org:admin')) throw new Denied('this token lacks the org:admin scope');
}

/**
 * Read-only views of an organization's administration (members, collaborators, team permissions):
 * its administrators and global read-only superusers; OAuth tokens need org:admin.
 */
export async function authorizeOrganizationAudit(deps: AuthorizeDeps, actor: Identity, name: string): Promise<Namespace> {
  if (!isGlobalReadonlySuperuser(deps, actor.principal)) return authorizeOrganization(deps, actor, name, 'admin');
  const organization = await findNamespace(deps.db, name);
  if (organization?.kind !== 'organization') throw new NotFound('namespace', `organization ${name} not found`);
  requireOrgAdminScope(actor);
  return organization;
}

/**
 * Listing a team's members (Quay's ViewTeamPermission): organization administrators, global
 * read-only superusers, and the team's own members; OAuth tokens need org:admin. `canEdit` says
 * whether the caller administers the organization. Unknown teams are NotFound only for those who
 * could see them.
 */
export async function authorizeTeamView(
  deps: AuthorizeDeps,
  actor: Identity,
  organizationName: string,
  teamName: string,
): Promise<{ organization: Namespace; team: Team; canEdit: boolean }> {
  const organization = await findNamespace(deps.db, organizationName);
  if (organization?.kind !== 'organization') {
    throw new NotFound('namespace', `organization ${organizationName} not found`);
  }
  const { principal } = actor;
  if (principal.kind === 'anonymous') throw new Unauthorized('you must be signed in');
  requireOrgAdminScope(actor);
  const canEdit = (await organizationRole(deps, actor, organization)) === 'admin';
  const team = await findTeam(deps.db, organization.id, teamName);
  if (canEdit || isGlobalReadonlySuperuser(deps, principal)) {
    if (!team) throw new NotFound('team', `team ${teamName} not found in organization ${organizationName}`);
    return { organization, team, canEdit };
  }
  const member = team !== undefined && (await memberTeamIds(deps.db, organization.id, principal.id)).includes(team.id);
  if (!member || !team) throw new Denied(`you cannot view team ${teamName} of organization ${organizationName}`);
  return { organization, team, canEdit };
}

/**
 * Which repositories `actor` may see in the repository API's listing. Unlike /v2/_catalog,
 * anonymous callers may browse public repositories whenever anonymous access is on.
 */
export async function apiRepositoryListScope(deps: AuthorizeDeps, actor: Identity): Promise<RepositoryListScope | null> {
  if (actor.principal.kind === 'anonymous') {
    return deps.config.FEATURE_ANONYMOUS_ACCESS ? { all: false, namespaceIds: [] } : null;
  }
  return repositoryListScope(deps, actor);
}

/** Any signed-in user or robot, whatever its token's scopes; anonymous callers are refused. */
export function authorizeSignedIn(actor: Identity): Exclude<Principal, { kind: 'anonymous' }> {
  if (actor.principal.kind === 'anonymous') throw new Unauthorized('you must be signed in');
  return actor.principal;
}

/**
 * Setting up or removing a team's LDAP synchronization: an organization administrator who is also
 * a superuser (holding super:user when using an OAuth token), or any organization administrator
 * when FEATURE_NONSUPERUSER_TEAM_SYNCING_SETUP is on.
 */
export async function authorizeTeamSyncSetup(deps: AuthorizeDeps, actor: Identity, organizationName: string): Promise<Namespace> {
  const organization = await authorizeOrganization(deps, actor, organizationName, 'admin');
  if (deps.config.FEATURE_NONSUPERUSER_TEAM_SYNCING_SETUP) return organization;
  if (isSuperuserPrincipal(actor.principal) && scopeAllows(actor, 'super:user')) return organization;
  throw new Denied('only superusers may set up team synchronization');
}

/**
 * Whether repository notifications about `repo` may be e-mailed to the user account `user`. Quay
 * sends only to addresses confirmed for the repository; Quayside has no confirmation step and sends
 * only to a user who holds a role on the repository itself: the user namespace that owns it, a
 * user or team permission, or administration of its organization. Public visibility does not count,
 * or any registered address could be probed through a public repository.
 */
export async function mayReceiveRepositoryMail(deps: AuthorizeDeps, user: { id: number }, repo: RepositoryWithNamespace): Promise<boolean> {
  if (repo.namespace_enabled !== 1) return false;
  if (repo.namespace_id === user.id) return true;
  return (await grantedRepositoryRole(deps.db, user.id, repo)) !== null;
}

/**
 * Reading an organization's quotas and limits (Quay's quota GETs): its members, superusers (who
 * manage quotas, see authorizeQuotaChange) and global read-only superusers.
 */
export async function authorizeQuotaView(deps: AuthorizeDeps, actor: Identity, name: string): Promise<Namespace> {
  const superuser = actsAsSuperuser(actor) || isGlobalReadonlySuperuser(deps, actor.principal);
  if (!superuser) return authorizeOrganization(deps, actor, name, 'member');
  const organization = await findNamespace(deps.db, name);
  if (organization?.kind !== 'organization') throw new NotFound('namespace', `organization ${name} not found`);
  return organization;
}

/**
 * Creating, changing or deleting quotas and limits under /organization/{org}/quota: superusers
 * only; organization administrators may not. Current Quay also demands
 * FEATURE_SUPERUSERS_FULL_ACCESS here, which leaves a default installation with no way to set a
 * Reject limit at all; Quayside lets every superuser manage quotas, which is what the superuser
 * panel exists for.
 */
export function authorizeQuotaChange(_deps: AuthorizeDeps, actor: Identity): void {
  authorizeSuperuser(actor);
}
