import { type Kysely, type SqlBool, sql } from 'kysely';
import type { Database, RepositoryRole } from '../db/tables.js';
import { Invalid, NotFound } from '../errors.js';
import { ACCOUNT_SUMMARY_COLUMNS, findNamespace, type Namespace } from './namespaces.js';
import type { RepositoryWithNamespace } from './repositories.js';
import { parseRobotName } from './robots.js';
import { findTeam } from './teams.js';

/**
 * Explicit repository permissions of users, robots and teams (Quay's RepositoryPermission), with
 * Quay's rules for who may hold one, and the account and team searches of the permission and
 * entity-search endpoints. Whether a caller may change permissions is decided elsewhere.
 */

/** A user or robot account that can hold a repository permission. */
export interface PermissionAccount {
  id: number;
  name: string;
  kind: 'user' | 'robot';
  email: string | null;
}

export interface UserPermission extends PermissionAccount {
  role: RepositoryRole;
}

export interface OrganizationTeam {
  id: number;
  name: string;
}

export interface TeamPermission extends OrganizationTeam {
  role: RepositoryRole;
}

function accountQuery(db: Kysely<Database>) {
  return db
    .selectFrom('namespace')
    .select(ACCOUNT_SUMMARY_COLUMNS)
    .where('namespace.deleted_at', 'is', null);
}

/** A user or robot account from its namespace columns. */
export function asPermissionAccount(row: {
  id: number;
  name: string;
  kind: string | null;
  email: string | null;
}): PermissionAccount {
  return { id: row.id, name: row.name, kind: row.kind === 'robot' ? 'robot' : 'user', email: row.email };
}

/** A user or robot account by name; organizations and deleted accounts are not accounts here. */
export async function findPermissionAccount(db: Kysely<Database>, name: string): Promise<PermissionAccount | undefined> {
  const row = await accountQuery(db)
    .where('namespace.name', '=', name)
    .where('namespace.kind', 'in', ['user', 'robot'])
    .executeTakeFirst();
  return row ? asPermissionAccount(row) : undefined;
}

/** Whether `account` is a robot owned by `namespaceName` (robots may only be granted rights there). */
export function isRobotOf(account: PermissionAccount, namespaceName: string): boolean {
  return account.kind === 'robot' && parseRobotName(account.name)?.owner === namespaceName;
}

// ---- user and robot permissions ------------------------------------------------------------------

function userPermissionQuery(db: Kysely<Database>, repositoryId: number) {
  return db
    .selectFrom('repository_permission')
    .innerJoin('namespace', 'namespace.id', 'repository_permission.member_id')
    .select([...ACCOUNT_SUMMARY_COLUMNS, 'repository_permission.role as role'])
    .where('repository_permission.repository_id', '=', repositoryId);
}

export async function listUserPermissions(db: Kysely<Database>, repositoryId: number): Promise<UserPermission[]> {
  const rows = await userPermissionQuery(db, repositoryId).orderBy('namespace.name').execute();
  return rows.map((r) => ({ ...asPermissionAccount(r), role: r.role }));
}

export async function findUserPermission(
  db: Kysely<Database>,
  repositoryId: number,
  memberId: number,
): Promise<UserPermission | undefined> {
  const row = await userPermissionQuery(db, repositoryId).where('namespace.id', '=', memberId).executeTakeFirst();
  return row ? { ...asPermissionAccount(row), role: row.role } : undefined;
}

/** The permission of `username` on the repository; NotFound when the account or its permission is missing. */
export async function getUserPermission(
  db: Kysely<Database>,
  repo: RepositoryWithNamespace,
  username: string,
): Promise<UserPermission> {
  const account = await findPermissionAccount(db, username);
  const permission = account ? await findUserPermission(db, repo.id, account.id) : undefined;
  if (!permission) throw new NotFound('permission', `${username} has no permission on this repository`);
  return permission;
}

function refuseNamespaceOwner(repo: RepositoryWithNamespace, username: string): void {
  if (username === repo.namespace_name) throw new Invalid('input', 'Namespace owner must always be admin.');
}

/**
 * Gives a user or robot `role` on the repository, replacing any role it held. The namespace owner
 * is always an admin, and a robot may only be granted rights in its owner's namespace.
 */
export async function grantUserPermission(
  db: Kysely<Database>,
  repo: RepositoryWithNamespace,
  username: string,
  role: RepositoryRole,
): Promise<UserPermission> {
  refuseNamespaceOwner(repo, username);
  const account = await findPermissionAccount(db, username);
  if (!account) throw new Invalid('input', `Invalid username: ${username}`);
  if (account.kind === 'robot' && !isRobotOf(account, repo.namespace_name)) {
    throw new Invalid('input', `Cannot add robot ${username} under namespace ${repo.namespace_name}`);
  }
  await db
    .insertInto('repository_permission')
    .values({ repository_id: repo.id, member_id: account.id, team_id: null, role })
    .onConflict((oc) => oc.columns(['repository_id', 'member_id']).doUpdateSet({ role }))
    .execute();
  return { ...account, role };
}

export async function revokeUserPermission(db: Kysely<Database>, repo: RepositoryWithNamespace, username: string): Promise<void> {
  refuseNamespaceOwner(repo, username);
  const account = await findPermissionAccount(db, username);
  const result = account
    ? await db
        .deleteFrom('repository_permission')
        .where('repository_id', '=', repo.id)
        .where('member_id', '=', account.id)
        .executeTakeFirst()
    : undefined;
  if (!result || Number(result.numDeletedRows) === 0) throw new Invalid('input', 'User does not have permission for repo.');
}

/** The roles `memberId` holds on the repository through its own permission and its teams' permissions. */
export async function transitiveRoles(db: Kysely<Database>, repositoryId: number, memberId: number): Promise<RepositoryRole[]> {
  const rows = await db
    .selectFrom('repository_permission')
    .select('role')
    .where('repository_id', '=', repositoryId)
    .where((eb) =>
      eb.or([
        eb('member_id', '=', memberId),
        eb(
          'team_id',
          'in',
          db.selectFrom('team_member').select('team_id').where('team_member.member_id', '=', memberId),
        ),
      ]),
    )
    .orderBy('id')
    .execute();
  return rows.map((r) => r.role);
}

// ---- team permissions ----------------------------------------------------------------------------

function teamPermissionQuery(db: Kysely<Database>, repositoryId: number) {
  return db
    .selectFrom('repository_permission')
    .innerJoin('team', 'team.id', 'repository_permission.team_id')
    .select(['team.id as id', 'team.name as name', 'repository_permission.role as role'])
    .where('repository_permission.repository_id', '=', repositoryId);
}

export async function listTeamPermissions(db: Kysely<Database>, repositoryId: number): Promise<TeamPermission[]> {
  return teamPermissionQuery(db, repositoryId).orderBy('team.name').execute();
}

/** The permission of team `teamName` on the repository; NotFound when the team or its permission is missing. */
export async function getTeamPermission(
  db: Kysely<Database>,
  repo: RepositoryWithNamespace,
  teamName: string,
): Promise<TeamPermission> {
  const row = await teamPermissionQuery(db, repo.id).where('team.name', '=', teamName).executeTakeFirst();
  if (!row) throw new NotFound('permission', `team ${teamName} has no permission on this repository`);
  return row;
}

async function repositoryTeam(db: Kysely<Database>, repo: RepositoryWithNamespace, teamName: string): Promise<OrganizationTeam> {
  const team = repo.namespace_kind === 'organization' ? await findTeam(db, repo.namespace_id, teamName) : undefined;
  if (!team) throw new Invalid('input', `No team ${teamName} in organization ${repo.namespace_name}`);
  return { id: team.id, name: team.name };
}

/** Gives a team of the repository's organization `role` on the repository, replacing any role it held. */
export async function grantTeamPermission(
  db: Kysely<Database>,
  repo: RepositoryWithNamespace,
  teamName: string,
  role: RepositoryRole,
): Promise<TeamPermission> {
  const team = await repositoryTeam(db, repo, teamName);
  await db
    .insertInto('repository_permission')
    .values({ repository_id: repo.id, member_id: null, team_id: team.id, role })
    .onConflict((oc) => oc.columns(['repository_id', 'team_id']).doUpdateSet({ role }))
    .execute();
  return { ...team, role };
}

export async function revokeTeamPermission(db: Kysely<Database>, repo: RepositoryWithNamespace, teamName: string): Promise<void> {
  const result = await db
    .deleteFrom('repository_permission')
    .where('repository_id', '=', repo.id)
    .where('team_id', 'in', db.selectFrom('team').select('id').where('organization_id', '=', repo.namespace_id).where('name', '=', teamName))
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw new Invalid('input', 'Team does not have permission for repo.');
}

// ---- entity search: who a permission could be given to -----------------------------------------

/** A LIKE pattern matching values that start with `prefix`, with its wildcards taken literally. */
export function likePrefixPattern(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function startsWith(column: string, prefix: string) {
  return sql<SqlBool>`${sql.ref(column)} like ${likePrefixPattern(prefix)} escape '\\'`;
}

/** Enabled user accounts whose names start with `prefix`, in name order. */
export async function usersByPrefix(db: Kysely<Database>, prefix: string, limit: number): Promise<PermissionAccount[]> {
  const rows = await accountQuery(db)
    .where('namespace.kind', '=', 'user')
    .where('namespace.enabled', '=', 1)
    .where(startsWith('namespace.name', prefix))
    .orderBy('namespace.name')
    .limit(limit)
    .execute();
  return rows.map(asPermissionAccount);
}

/** Robots of `owner` whose full (`owner+short`) or short names start with `prefix`. */
export async function robotsByPrefix(
  db: Kysely<Database>,
  owner: Namespace,
  prefix: string,
  limit: number,
): Promise<PermissionAccount[]> {
  const rows = await accountQuery(db)
    .innerJoin('robot', 'robot.namespace_id', 'namespace.id')
    .where('robot.owner_id', '=', owner.id)
    .where((eb) => eb.or([startsWith('namespace.name', prefix), startsWith('namespace.name', `${owner.name}+${prefix}`)]))
    .orderBy('namespace.name')
    .limit(limit)
    .execute();
  return rows.map(asPermissionAccount);
}

export async function teamsByPrefix(
  db: Kysely<Database>,
  organizationId: number,
  prefix: string,
  limit: number,
): Promise<OrganizationTeam[]> {
  return db
    .selectFrom('team')
    .select(['id', 'name'])
    .where('organization_id', '=', organizationId)
    .where(startsWith('name', prefix))
    .orderBy('name')
    .limit(limit)
    .execute();
}

/** The namespace a search is about, when it exists and is a user or an organization. */
export async function findSearchNamespace(db: Kysely<Database>, name: string): Promise<Namespace | undefined> {
  if (name === '') return undefined;
  const namespace = await findNamespace(db, name);
  return namespace && namespace.kind !== 'robot' && namespace.deleted_at === null ? namespace : undefined;
}
