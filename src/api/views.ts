import { createHash } from 'node:crypto';
import type { NamespaceKind, TeamRole } from '../db/tables.js';
import type { AccountSummary } from '../model/namespaces.js';

/** Small JSON pieces that many Quay API responses share. */

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Quay's date format (RFC 2822 in UTC, as Python's formatdate writes it): "Mon, 10 Jun 2024 06:13:20 -0000". */
export function formatQuayDate(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  const d = new Date(ms);
  return (
    `${WEEKDAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} -0000`
  );
}

export type AvatarKind = 'user' | 'org' | 'robot' | 'team';

export interface AvatarView {
  name: string;
  hash: string;
  color: string;
  kind: AvatarKind;
}

// A fixed palette; the colour follows from the hash, so an account keeps its colour.
const AVATAR_COLORS = [
  '#969696', '#aec7e8', '#ff7f0e', '#ffbb78', '#2ca02c', '#98df8a', '#d62728', '#ff9896',
  '#9467bd', '#c5b0d5', '#8c564b', '#c49c94', '#e377c2', '#f7b6d2', '#7f7f7f', '#c7c7c7',
];

/** The avatar block Quay attaches to users, organizations, robots and teams. */
export function avatarView(name: string, email: string | null | undefined, kind: AvatarKind): AvatarView {
  const hash = createHash('md5').update((email ?? name).trim().toLowerCase(), 'utf8').digest('hex');
  const color = AVATAR_COLORS[Number.parseInt(hash.slice(0, 4), 16) % AVATAR_COLORS.length]!;
  return { name, hash, color, kind };
}

const ACCOUNT_AVATAR_KIND: Record<NamespaceKind, AvatarKind> = { user: 'user', organization: 'org', robot: 'robot' };

/** The avatar of a user, organization or robot account. */
export function accountAvatar(account: Pick<AccountSummary, 'name' | 'email' | 'kind'>): AvatarView {
  return avatarView(account.name, account.email, ACCOUNT_AVATAR_KIND[account.kind]);
}

/** A team's avatar: teams have no e-mail address, so it follows from the name. */
export function teamAvatar(teamName: string): AvatarView {
  return avatarView(teamName, null, 'team');
}

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
