import { type Kysely, sql } from 'kysely';
import type { Database, RepositoryRole, TeamRole } from '../db/tables.js';

/**
 * What the permission tables grant a user or robot: the raw facts that auth/authorize.ts combines
 * with ownership, visibility, repository state and token scopes. Nothing here decides access.
 */

const REPOSITORY_ROLE_RANK: Record<RepositoryRole, number> = { read: 1, write: 2, admin: 3 };
const TEAM_ROLE_RANK: Record<TeamRole, number> = { member: 1, creator: 2, admin: 3 };

export function strongerRepositoryRole(a: RepositoryRole | null, b: RepositoryRole | null): RepositoryRole | null {
  if (a === null) return b;
  if (b === null) return a;
  return REPOSITORY_ROLE_RANK[a] >= REPOSITORY_ROLE_RANK[b] ? a : b;
}

export function repositoryRoleAtLeast(held: RepositoryRole | null, needed: RepositoryRole): boolean {
  return held !== null && REPOSITORY_ROLE_RANK[held] >= REPOSITORY_ROLE_RANK[needed];
}

export function teamRoleAtLeast(held: TeamRole | null, needed: TeamRole): boolean {
  return held !== null && TEAM_ROLE_RANK[held] >= TEAM_ROLE_RANK[needed];
}

/**
 * The strongest role `memberId` (a user or robot) holds on a repository through explicit
 * permissions, its teams' permissions, or membership of an admin team of the owning organization.
 * One round trip: this runs on every basic-auth registry request.
 */
export async function grantedRepositoryRole(
  db: Kysely<Database>,
  memberId: number,
  repository: { id: number; namespace_id: number },
): Promise<RepositoryRole | null> {
  const rows = await db
    .selectFrom('repository_permission')
    .select('role')
    .where('repository_id', '=', repository.id)
    .where('member_id', '=', memberId)
    .unionAll(
      db
        .selectFrom('repository_permission')
        .innerJoin('team_member', 'team_member.team_id', 'repository_permission.team_id')
        .select('repository_permission.role')
        .where('repository_permission.repository_id', '=', repository.id)
        .where('team_member.member_id', '=', memberId),
    )
    .unionAll(
      db
        .selectFrom('team')
        .innerJoin('team_member', 'team_member.team_id', 'team.id')
        .select(sql<RepositoryRole>`'admin'`.as('role'))
        .where('team.organization_id', '=', repository.namespace_id)
        .where('team.role', '=', 'admin')
        .where('team_member.member_id', '=', memberId),
    )
    .execute();
  let best: RepositoryRole | null = null;
  for (const row of rows) best = strongerRepositoryRole(best, row.role);
  return best;
}

/** The organization's teams that `memberId` (a user or robot) belongs to, with their roles. */
export async function memberTeams(
  db: Kysely<Database>,
  organizationId: number,
  memberId: number,
): Promise<{ id: number; role: TeamRole }[]> {
  return db
    .selectFrom('team')
    .innerJoin('team_member', 'team_member.team_id', 'team.id')
    .select(['team.id as id', 'team.role as role'])
    .where('team.organization_id', '=', organizationId)
    .where('team_member.member_id', '=', memberId)
    .execute();
}

/** The strongest team role `memberId` holds in an organization, or null when in none of its teams. */
export async function organizationTeamRole(
  db: Kysely<Database>,
  memberId: number,
  organizationId: number,
): Promise<TeamRole | null> {
  let best: TeamRole | null = null;
  for (const { role } of await memberTeams(db, organizationId, memberId)) {
    if (best === null || TEAM_ROLE_RANK[role] > TEAM_ROLE_RANK[best]) best = role;
  }
  return best;
}

/** Organizations in which `memberId` belongs to an admin team: it administers all their repositories. */
export async function administeredOrganizationIds(db: Kysely<Database>, memberId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('team')
    .innerJoin('team_member', 'team_member.team_id', 'team.id')
    .select('team.organization_id')
    .distinct()
    .where('team.role', '=', 'admin')
    .where('team_member.member_id', '=', memberId)
    .execute();
  return rows.map((r) => r.organization_id);
}

/** The robot a MIRROR repository accepts pushes from, if one is configured. */
export async function mirrorRobotId(db: Kysely<Database>, repositoryId: number): Promise<number | null> {
  const row = await db
    .selectFrom('repo_mirror_config')
    .select('internal_robot_id')
    .where('repository_id', '=', repositoryId)
    .executeTakeFirst();
  return row?.internal_robot_id ?? null;
}
