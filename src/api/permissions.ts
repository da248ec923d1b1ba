import { Type as T } from '@sinclair/typebox';
import type { RepositoryRole } from '../db/tables.js';
import { NotFound } from '../errors.js';
import { teamAvatar } from '../model/avatars.js';
import {
  findPermissionAccount,
  getTeamPermission,
  getUserPermission,
  grantTeamPermission,
  grantUserPermission,
  listTeamPermissions,
  listUserPermissions,
  revokeTeamPermission,
  revokeUserPermission,
  type TeamPermission,
  transitiveRoles,
  type UserPermission,
} from '../model/permissions.js';
import type { RepositoryWithNamespace } from '../model/repositories.js';
import { organizationMemberIds } from '../model/teams.js';
import { authorizedRepository } from './repositories.js';
import type { ApiCall, ApiRouter } from './router.js';
import { logApiAction } from './usage-log.js';
import { roleHolderView } from './views.js';

/**
 * Quay's repository permission resources (endpoints/api/permission.py): the roles users, robots
 * and teams hold on one repository. Every route needs admin on the repository.
 */

// Quay spells the two listings with a trailing slash (…/permissions/user/); the router drops
// trailing slashes from request paths, so they are declared without one and answer both forms.
const PREFIX = '/api/v1/repository/{repository}/permissions';

const RoleBody = T.Object({
  role: T.Union([T.Literal('read'), T.Literal('write'), T.Literal('admin')]),
});

async function administeredRepository(call: ApiCall<unknown, unknown>): Promise<RepositoryWithNamespace> {
  return authorizedRepository(call, 'admin');
}

function param(call: ApiCall<unknown, unknown>, name: string): string {
  return call.params[name] ?? '';
}

/** Which of these accounts belong to the repository's organization (robots always do, as in Quay). */
async function organizationMembers(
  call: ApiCall<unknown, unknown>,
  repo: RepositoryWithNamespace,
  permissions: readonly UserPermission[],
): Promise<Set<number> | undefined> {
  if (repo.namespace_kind !== 'organization') return undefined;
  return organizationMemberIds(
    call.ctx.db,
    repo.namespace_id,
    permissions.map((p) => p.id),
  );
}

function userPermissionView(permission: UserPermission, members: Set<number> | undefined) {
  return { role: permission.role, ...roleHolderView(permission, members) };
}

async function singleUserPermissionView(call: ApiCall<unknown, unknown>, repo: RepositoryWithNamespace, permission: UserPermission) {
  return userPermissionView(permission, await organizationMembers(call, repo, [permission]));
}

function teamPermissionView(permission: TeamPermission) {
  return { role: permission.role, name: permission.name, avatar: teamAvatar(permission.name) };
}

function roleView(role: RepositoryRole) {
  return { role };
}

/** Quay's entry for a granted, changed or removed permission, in the repository's logs. */
async function logPermissionAction(
  call: ApiCall<unknown, unknown>,
  kind: 'change_repo_permission' | 'delete_repo_permission',
  repo: RepositoryWithNamespace,
  metadata: Record<string, unknown>,
): Promise<void> {
  await logApiAction(call, { kind, namespaceId: repo.namespace_id, repositoryId: repo.id, metadata });
}

function registerUserPermissionRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: `${PREFIX}/user`,
    summary: 'List the permissions users and robots hold on a repository.',
    tag: 'permission',
    handler: async (call) => {
      const repo = await administeredRepository(call);
      const permissions = await listUserPermissions(call.ctx.db, repo.id);
      const members = await organizationMembers(call, repo, permissions);
      return { permissions: Object.fromEntries(permissions.map((p) => [p.name, userPermissionView(p, members)])) };
    },
  });

  router.add({
    method: 'GET',
    path: `${PREFIX}/user/{username}`,
    summary: 'Fetch the permission a user or robot holds on a repository.',
    tag: 'permission',
    handler: async (call) => {
      const repo = await administeredRepository(call);
      const permission = await getUserPermission(call.ctx.db, repo, param(call, 'username'));
      return singleUserPermissionView(call, repo, permission);
    },
  });

  router.add({
    method: 'GET',
    path: `${PREFIX}/user/{username}/transitive`,
    summary: 'List the roles a user holds on a repository, directly or through teams.',
    tag: 'permission',
    handler: async (call) => {
      const repo = await administeredRepository(call);
      const username = param(call, 'username');
      const account = await findPermissionAccount(call.ctx.db, username);
      const roles = account ? await transitiveRoles(call.ctx.db, repo.id, account.id) : [];
      if (roles.length === 0) throw new NotFound('permission', `${username} has no permission on this repository`);
      return { permissions: roles.map(roleView) };
    },
  });

  router.add({
    method: 'PUT',
    path: `${PREFIX}/user/{username}`,
    summary: 'Give a user or robot a role on a repository.',
    tag: 'permission',
    body: RoleBody,
    handler: async (call) => {
      const repo = await administeredRepository(call);
      const permission = await grantUserPermission(call.ctx.db, repo, param(call, 'username'), call.body.role);
      await logPermissionAction(call, 'change_repo_permission', repo, {
        username: permission.name,
        repo: repo.name,
        namespace: repo.namespace_name,
        role: permission.role,
      });
      return singleUserPermissionView(call, repo, permission);
    },
  });

  router.add({
    method: 'DELETE',
    path: `${PREFIX}/user/{username}`,
    summary: "Remove a user's or robot's permission on a repository.",
    tag: 'permission',
    status: 204,
    handler: async (call) => {
      const repo = await administeredRepository(call);
      await revokeUserPermission(call.ctx.db, repo, param(call, 'username'));
      await logPermissionAction(call, 'delete_repo_permission', repo, {
        username: param(call, 'username'),
        repo: repo.name,
        namespace: repo.namespace_name,
      });
      return undefined;
    },
  });
}

function registerTeamPermissionRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: `${PREFIX}/team`,
    summary: 'List the permissions teams hold on a repository.',
    tag: 'permission',
    handler: async (call) => {
      const repo = await administeredRepository(call);
      const permissions = await listTeamPermissions(call.ctx.db, repo.id);
      return { permissions: Object.fromEntries(permissions.map((p) => [p.name, teamPermissionView(p)])) };
    },
  });

  router.add({
    method: 'GET',
    path: `${PREFIX}/team/{teamname}`,
    summary: 'Fetch the role a team holds on a repository.',
    tag: 'permission',
    handler: async (call) => {
      const repo = await administeredRepository(call);
      const permission = await getTeamPermission(call.ctx.db, repo, param(call, 'teamname'));
      return roleView(permission.role);
    },
  });

  router.add({
    method: 'PUT',
    path: `${PREFIX}/team/{teamname}`,
    summary: "Give a team of the repository's organization a role on it.",
    tag: 'permission',
    body: RoleBody,
    handler: async (call) => {
      const repo = await administeredRepository(call);
      const permission = await grantTeamPermission(call.ctx.db, repo, param(call, 'teamname'), call.body.role);
      await logPermissionAction(call, 'change_repo_permission', repo, { team: permission.name, repo: repo.name, role: permission.role });
      return teamPermissionView(permission);
    },
  });

  router.add({
    method: 'DELETE',
    path: `${PREFIX}/team/{teamname}`,
    summary: "Remove a team's permission on a repository.",
    tag: 'permission',
    status: 204,
    handler: async (call) => {
      const repo = await administeredRepository(call);
      await revokeTeamPermission(call.ctx.db, repo, param(call, 'teamname'));
      await logPermissionAction(call, 'delete_repo_permission', repo, { team: param(call, 'teamname'), repo: repo.name });
      return undefined;
    },
  });
}

export function registerPermissionsRoutes(router: ApiRouter): void {
  registerUserPermissionRoutes(router);
  registerTeamPermissionRoutes(router);
}
