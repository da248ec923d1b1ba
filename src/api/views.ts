import type { TeamRole } from '../db/tables.js';
import { type AvatarView, accountAvatar, teamAvatar } from '../model/avatars.js';
import type { AccountSummary } from '../model/namespaces.js';

/** Small JSON pieces that many Quay API responses share. */

/**
 * A user or robot account where Quay shows who holds or may receive a role (repository
 * permissions): its name, whether it is a robot and its avatar. Given the ids of an organization's
 * members, also whether it belongs to that organization; its robots always count as members.
 */
export function roleHolderView(account: AccountSummary, organizationMembers?: ReadonlySet<number>): Record<string, unknown> {
  const isRobot = account.kind === 'robot';
  const view: Record<string, unknown> = { name: account.name, is_robot: isRobot, avatar: accountAvatar(account) };
  if (organizationMembers) view['is_org_member'] = isRobot || organizationMembers.has(account.id);
  return view;
}

/**
 * The same account as a Quay entity (entity search, default permissions, team members): Quay
 * gives robots the entity kind 'user' too, and tells them apart by is_robot.
 */
export function userEntityView(account: AccountSummary, organizationMembers?: ReadonlySet<number>): Record<string, unknown> {
  return { ...roleHolderView(account, organizationMembers), kind: 'user' };
}

/** A team as a Quay entity. */
export function teamEntityView(teamName: string): Record<string, unknown> {
  return { name: teamName, kind: 'team', avatar: teamAvatar(teamName) };
}

/** A team as listed under a member or robot account: its name and avatar. */
export function namedTeamView(teamName: string): { name: string; avatar: AvatarView } {
  return { name: teamName, avatar: teamAvatar(teamName) };
}

/** Quay's view of one team (endpoints/api/team.py), as its create, change and syncing routes return it. */
export function teamView(
  team: { name: string; description: string; role: TeamRole },
  options: { canView: boolean; isNew: boolean },
): Record<string, unknown> {
  return {
    name: team.name,
    description: team.description,
    can_view: options.canView,
    role: team.role,
    avatar: teamAvatar(team.name),
    new_team: options.isNew,
  };
}
