import { randomBytes } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, RepositoryRole, RepositoryVisibility, TeamRole, TeamTable } from '../db/tables.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { memberTeams } from './access.js';
import { nowMs } from './clock.js';
import { ACCOUNT_SUMMARY_COLUMNS, type AccountSummary, type Namespace } from './namespaces.js';
import { validateEmail } from './users.js';

/**
 * An organization's teams: their members (users and robots), pending invitations, repository
 * permissions, and the rule that an organization always keeps an administrator.
 */

export type Team = Selectable<TeamTable>;

// Quay's team name rule (data/model/team.py): as namespaces, lower-case words joined by . _ or -.
const TEAM_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const MIN_TEAM_NAME = 2;
const MAX_TEAM_NAME = 255;
const INVITE_TOKEN_BYTES = 24;

export function validateTeamName(name: string): void {
  if (name.length < MIN_TEAM_NAME || name.length > MAX_TEAM_NAME || !TEAM_NAME.test(name)) {
    throw new Invalid(
      'name',
      `invalid team name "${name}": use ${MIN_TEAM_NAME}-${MAX_TEAM_NAME} lower-case letters, digits and single . _ - separators`,
    );
  }
}

export async function findTeam(db: Kysely<Database>, organizationId: number, name: string): Promise<Team | undefined> {
  return db
    .selectFrom('team')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function getTeam(db: Kysely<Database>, organization: Namespace, name: string): Promise<Team> {
  const team = await findTeam(db, organization.id, name);
  if (!team) throw new NotFound('team', `team ${name} not found in organization ${organization.name}`);
  return team;
}

/** The ids of the organization's teams that `memberId` (a user or robot) belongs to. */
export async function memberTeamIds(db: Kysely<Database>, organizationId: number, memberId: number): Promise<number[]> {
  return (await memberTeams(db, organizationId, memberId)).map((team) => team.id);
}

/** Of `candidateIds`, those that belong to a team of the organization. */
export async function organizationMemberIds(
  db: Kysely<Database>,
  organizationId: number,
  candidateIds: readonly number[],
): Promise<Set<number>> {
  if (candidateIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('team_member')
    .innerJoin('team', 'team.id', 'team_member.team_id')
    .select('team_member.member_id')
    .distinct()
    .where('team.organization_id', '=', organizationId)
    .where('team_member.member_id', 'in', [...candidateIds])
    .execute();
  return new Set(rows.map((r) => r.member_id));
}

export async function isTeamMember(db: Kysely<Database>, teamId: number, memberId: number): Promise<boolean> {
  const row = await db
    .selectFrom('team_member')
    .select('team_id')
    .where('team_id', '=', teamId)
    .where('member_id', '=', memberId)
    .executeTakeFirst();
  return row !== undefined;
}

export interface TeamSummary {
  id: number;
  name: string;
  description: string;
  role: TeamRole;
  repoCount: number;
  memberCount: number;
  synced: boolean;
}

async function countsByTeam(
  db: Kysely<Database>,
  table: 'repository_permission' | 'team_member',
  teamIds: number[],
): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom(table)
    .select((eb) => [eb.ref('team_id').as('team_id'), eb.fn.countAll<number>().as('n')])
    .where('team_id', 'in', teamIds)
    .groupBy('team_id')
    .execute();
  const counts = new Map<number, number>();
  for (const row of rows) if (row.team_id !== null) counts.set(row.team_id, Number(row.n));
  return counts;
}

/** The organization's teams in creation order, with their repository and member counts. */
export async function listTeamSummaries(db: Kysely<Database>, organizationId: number): Promise<TeamSummary[]> {
  const teams = await db
    .selectFrom('team')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('id')
    .execute();
  if (teams.length === 0) return [];
  const ids = teams.map((t) => t.id);
  const repoCounts = await countsByTeam(db, 'repository_permission', ids);
  const memberCounts = await countsByTeam(db, 'team_member', ids);
  const syncedRows = await db.selectFrom('team_sync').select('team_id').where('team_id', 'in', ids).execute();
  const synced = new Set(syncedRows.map((r) => r.team_id));
  return teams.map((team) => ({
    id: team.id,
    name: team.name,
    description: team.description,
    role: team.role,
    repoCount: repoCounts.get(team.id) ?? 0,
    memberCount: memberCounts.get(team.id) ?? 0,
    synced: synced.has(team.id),
  }));
}

export async function createTeam(
  db: Kysely<Database>,
  organization: Namespace,
  input: { name: string; role: TeamRole; description?: string | undefined },
): Promise<Team> {
  validateTeamName(input.name);
  if (organization.kind !== 'organization') throw new Invalid('input', `${organization.name} is not an organization`);
  if (await findTeam(db, organization.id, input.name)) {
    throw new Conflict(`team ${input.name} already exists in organization ${organization.name}`);
  }
  try {
    return await db
      .insertInto('team')
      .values({
        organization_id: organization.id,
        name: input.name,
        role: input.role,
        description: input.description ?? '',
        created_at: nowMs(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`team ${input.name} already exists in organization ${organization.name}`);
    throw err;
  }
}

export async function updateTeam(
  db: Kysely<Database>,
  team: Team,
  changes: { role?: TeamRole | undefined; description?: string | undefined },
): Promise<Team> {
  const set: { role?: TeamRole; description?: string } = {};
  if (changes.role !== undefined && changes.role !== team.role) set.role = changes.role;
  if (changes.description !== undefined && changes.description !== team.description) set.description = changes.description;
  if (Object.keys(set).length === 0) return team;
  return db.updateTable('team').set(set).where('id', '=', team.id).returningAll().executeTakeFirstOrThrow();
}

/** Deletes the team; its memberships, invitations, sync settings and permissions go with it. */
export async function deleteTeam(db: Kysely<Database>, team: Team): Promise<void> {
  await db.deleteFrom('team').where('id', '=', team.id).execute();
}

// ---- members --------------------------------------------------------------------------------

export async function listTeamMembers(db: Kysely<Database>, teamId: number): Promise<AccountSummary[]> {
  return db
    .selectFrom('team_member')
    .innerJoin('namespace', 'namespace.id', 'team_member.member_id')
    .select(ACCOUNT_SUMMARY_COLUMNS)
    .where('team_member.team_id', '=', teamId)
    .orderBy('namespace.name')
    .execute();
}

async function robotOwnerId(db: Kysely<Database>, robotId: number): Promise<number | undefined> {
  const row = await db.selectFrom('robot').select('owner_id').where('namespace_id', '=', robotId).executeTakeFirst();
  return row?.owner_id;
}

async function addMembership(db: Kysely<Database>, team: Team, member: Namespace): Promise<void> {
  if (await isTeamMember(db, team.id, member.id)) {
    throw new Conflict(`${member.name} is already a member of team ${team.name}`);
  }
  const inserted = await db
    .insertInto('team_member')
    .values({ team_id: team.id, member_id: member.id })
    .onConflict((oc) => oc.columns(['team_id', 'member_id']).doNothing())
    .executeTakeFirst();
  // A concurrent request added the same member first.
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) throw new Conflict(`${member.name} is already a member of team ${team.name}`);
}

export interface AddMemberInput {
  organization: Namespace;
  team: Team;
  /** A user or robot account. */
  member: Namespace;
  inviterId: number;
  /** Whether users who are not yet in the organization get an invitation instead (FEATURE_MAILING). */
  inviteNewcomers: boolean;
}

/**
 * Adds a user or robot to a team. Robots must belong to the organization. With `inviteNewcomers`,
 * a user who is in none of the organization's teams gets a pending invitation instead, as in Quay.
 */
export async function addOrInviteTeamMember(
  db: Kysely<Database>,
  input: AddMemberInput,
): Promise<{ invited: false } | { invited: true; invite: TeamInvite }> {
  const { organization, team, member } = input;
  if (member.kind === 'robot') {
    if ((await robotOwnerId(db, member.id)) !== organization.id) {
      throw new Invalid('input', `robot ${member.name} does not belong to organization ${organization.name}`);
    }
  } else if (member.kind !== 'user') {
    throw new Invalid('input', `${member.name} is not a user or robot account`);
  } else if (input.inviteNewcomers && (await memberTeamIds(db, organization.id, member.id)).length === 0) {
    if (await isTeamMember(db, team.id, member.id)) throw new Conflict(`${member.name} is already a member of team ${team.name}`);
    return { invited: true, invite: await inviteToTeam(db, team, { userId: member.id }, input.inviterId) };
  }
  await addMembership(db, team, member);
  return { invited: false };
}

/** Removes a member from a team; NotFound when it is not in it. */
export async function removeTeamMember(db: Kysely<Database>, team: Team, member: Namespace): Promise<void> {
  const result = await db
    .deleteFrom('team_member')
    .where('team_id', '=', team.id)
    .where('member_id', '=', member.id)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) {
    throw new NotFound('member', `${member.name} is not a member of team ${team.name}`);
  }
}

// ---- invitations ----------------------------------------------------------------------------

export interface TeamInvite {
  id: number;
  teamId: number;
  teamName: string;
  organizationId: number;
  organizationName: string;
  /** The invited user, for invitations of an existing account. */
  user: { id: number; name: string; email: string | null } | null;
  /** The invited address, for invitations by e-mail. */
  email: string | null;
  inviterId: number;
  token: string;
  createdAt: number;
}

function inviteQuery(db: Kysely<Database>) {
  return db
    .selectFrom('team_invite')
    .innerJoin('team', 'team.id', 'team_invite.team_id')
    .innerJoin('namespace as org', 'org.id', 'team.organization_id')
    .leftJoin('namespace as invited', 'invited.id', 'team_invite.user_id')
    .select([
      'team_invite.id as id',
      'team_invite.team_id as team_id',
      'team.name as team_name',
      'org.id as organization_id',
      'org.name as organization_name',
      'team_invite.user_id as user_id',
      'invited.name as user_name',
      'invited.email as user_email',
      'team_invite.email as email',
      'team_invite.inviter_id as inviter_id',
      'team_invite.token as token',
      'team_invite.created_at as created_at',
    ]);
}

type InviteRow = Awaited<ReturnType<ReturnType<typeof inviteQuery>['executeTakeFirstOrThrow']>>;

function toInvite(row: InviteRow): TeamInvite {
  return {
    id: row.id,
    teamId: row.team_id,
    teamName: row.team_name,
    organizationId: row.organization_id,
    organizationName: row.organization_name,
    user:
      row.user_id !== null && row.user_name !== null
        ? { id: row.user_id, name: row.user_name, email: row.user_email }
        : null,
    email: row.email,
    inviterId: row.inviter_id,
    token: row.token,
    createdAt: row.created_at,
  };
}

export async function listTeamInvites(db: Kysely<Database>, teamId: number): Promise<TeamInvite[]> {
  const rows = await inviteQuery(db).where('team_invite.team_id', '=', teamId).orderBy('team_invite.id').execute();
  return rows.map(toInvite);
}

export async function findInviteByToken(db: Kysely<Database>, token: string): Promise<TeamInvite | undefined> {
  const row = await inviteQuery(db).where('team_invite.token', '=', token).executeTakeFirst();
  return row ? toInvite(row) : undefined;
}

type Invitee = { userId: number } | { email: string };

/** Creates an invitation to the team, or returns the one already pending for the same invitee. */
async function inviteToTeam(db: Kysely<Database>, team: Team, invitee: Invitee, inviterId: number): Promise<TeamInvite> {
  let pending = inviteQuery(db).where('team_invite.team_id', '=', team.id);
  pending =
    'userId' in invitee
      ? pending.where('team_invite.user_id', '=', invitee.userId)
      : pending.where('team_invite.email', '=', invitee.email);
  const existing = await pending.executeTakeFirst();
  if (existing) return toInvite(existing);
  const token = randomBytes(INVITE_TOKEN_BYTES).toString('base64url');
  await db
    .insertInto('team_invite')
    .values({
      team_id: team.id,
      user_id: 'userId' in invitee ? invitee.userId : null,
      email: 'email' in invitee ? invitee.email : null,
      inviter_id: inviterId,
      token,
      created_at: nowMs(),
    })
    .execute();
  const created = await findInviteByToken(db, token);
  if (!created) throw new Error('team invitation vanished after insert');
  return created;
}

export async function inviteEmailToTeam(
  db: Kysely<Database>,
  team: Team,
  email: string,
  inviterId: number,
): Promise<TeamInvite> {
  validateEmail(email);
  return inviteToTeam(db, team, { email }, inviterId);
}

/** Withdraws a user's pending invitation to the team; false when there was none. */
export async function deleteUserInvite(db: Kysely<Database>, teamId: number, userId: number): Promise<boolean> {
  const result = await db
    .deleteFrom('team_invite')
    .where('team_id', '=', teamId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Withdraws an e-mail invitation to the team; false when there was none. */
export async function deleteEmailInvite(db: Kysely<Database>, teamId: number, email: string): Promise<boolean> {
  const result = await db
    .deleteFrom('team_invite')
    .where('team_id', '=', teamId)
    .where('email', '=', email)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

function sameEmail(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && a.trim().toLowerCase() === b.trim().toLowerCase();
}

function isInviteFor(invite: TeamInvite, user: Namespace): boolean {
  return invite.user !== null ? invite.user.id === user.id : sameEmail(invite.email, user.email);
}

/** The invitation behind `token` when it is addressed to `user` (by account or e-mail address). */
async function inviteForUser(db: Kysely<Database>, token: string, user: Namespace): Promise<TeamInvite> {
  const invite = await findInviteByToken(db, token);
  if (!invite) throw new NotFound('invite', 'this invitation does not exist or was already used');
  if (!isInviteFor(invite, user)) {
    throw new Invalid(
      'input',
      invite.user !== null
        ? `this invitation is for user ${invite.user.name}: sign in as that user to accept it`
        : 'this invitation is for another e-mail address: sign in with the invited account to accept it',
    );
  }
  return invite;
}

/**
 * Accepts an invitation: the user joins its team, and, as in Quay, every other team of the same
 * organization they are invited to. Returns the invitation accepted.
 */
export async function acceptTeamInvite(db: Kysely<Database>, token: string, user: Namespace): Promise<TeamInvite> {
  const invite = await inviteForUser(db, token, user);
  await db.transaction().execute(async (trx) => {
    const all = await listOrganizationInvites(trx, invite.organizationId);
    for (const pending of all.filter((i) => isInviteFor(i, user))) {
      await trx
        .insertInto('team_member')
        .values({ team_id: pending.teamId, member_id: user.id })
        .onConflict((oc) => oc.columns(['team_id', 'member_id']).doNothing())
        .execute();
      await trx.deleteFrom('team_invite').where('id', '=', pending.id).execute();
    }
  });
  return invite;
}

/** Declines an invitation addressed to `user`. */
export async function declineTeamInvite(db: Kysely<Database>, token: string, user: Namespace): Promise<TeamInvite> {
  const invite = await inviteForUser(db, token, user);
  await db.deleteFrom('team_invite').where('id', '=', invite.id).execute();
  return invite;
}

async function listOrganizationInvites(db: Kysely<Database>, organizationId: number): Promise<TeamInvite[]> {
  const rows = await inviteQuery(db).where('team.organization_id', '=', organizationId).execute();
  return rows.map(toInvite);
}

// ---- repository permissions -----------------------------------------------------------------

export interface TeamPermission {
  repositoryName: string;
  visibility: RepositoryVisibility;
  role: RepositoryRole;
}

export async function listTeamPermissions(db: Kysely<Database>, teamId: number): Promise<TeamPermission[]> {
  const rows = await db
    .selectFrom('repository_permission')
    .innerJoin('repository', 'repository.id', 'repository_permission.repository_id')
    .select(['repository.name as name', 'repository.visibility as visibility', 'repository_permission.role as role'])
    .where('repository_permission.team_id', '=', teamId)
    .where('repository.state', '!=', 'MARKED_FOR_DELETION')
    .orderBy('repository.name')
    .execute();
  return rows.map((r) => ({ repositoryName: r.name, visibility: r.visibility, role: r.role }));
}

// ---- keeping an administrator ---------------------------------------------------------------

/** A change that may take administrator rights away from users. */
export type AdminChange =
  /** Removing one member from one team. */
  | { kind: 'leave-team'; teamId: number; memberId: number }
  /** Removing a user from every team of the organization. */
  | { kind: 'leave-organization'; memberId: number }
  /** Deleting a team, or taking the admin role away from it. */
  | { kind: 'drop-team'; teamId: number };

interface AdminMembership {
  teamId: number;
  userId: number;
}

async function adminMemberships(db: Kysely<Database>, organizationId: number): Promise<AdminMembership[]> {
  const rows = await db
    .selectFrom('team')
    .innerJoin('team_member', 'team_member.team_id', 'team.id')
    .innerJoin('namespace', 'namespace.id', 'team_member.member_id')
    .select(['team.id as team_id', 'namespace.id as user_id'])
    .where('team.organization_id', '=', organizationId)
    .where('team.role', '=', 'admin')
    .where('namespace.kind', '=', 'user')
    .where('namespace.enabled', '=', 1)
    .execute();
  return rows.map((r) => ({ teamId: r.team_id, userId: r.user_id }));
}

function survives(membership: AdminMembership, change: AdminChange): boolean {
  switch (change.kind) {
    case 'leave-team':
      return !(membership.teamId === change.teamId && membership.userId === change.memberId);
    case 'leave-organization':
      return membership.userId !== change.memberId;
    case 'drop-team':
      return membership.teamId !== change.teamId;
  }
}

/**
 * Refuses a change that would leave the organization without an administrator (a user in an admin
 * team). As in Quay, a team change also may not take the acting user's own last admin team away;
 * leaving the organization altogether is allowed while another administrator remains.
 */
async function ensureAdministratorRemains(
  db: Kysely<Database>,
  organization: Namespace,
  change: AdminChange,
  actingUserId: number | undefined,
): Promise<void> {
  const before = await adminMemberships(db, organization.id);
  const after = before.filter((m) => survives(m, change));
  if (before.length > 0 && after.length === 0) {
    throw new Invalid('input', `organization ${organization.name} must keep at least one administrator`);
  }
  if (change.kind === 'leave-organization' || actingUserId === undefined) return;
  const wasAdmin = before.some((m) => m.userId === actingUserId);
  const staysAdmin = after.some((m) => m.userId === actingUserId);
  if (wasAdmin && !staysAdmin) {
    throw new Invalid('input', `this would remove your own administrator rights in organization ${organization.name}`);
  }
}

/**
 * Applies a change that may take administrator rights away, refusing it (as ensureAdministratorRemains
 * words it) when it would leave the organization without one. The check and the change run in one
 * transaction that first writes the organization's row, so that two such changes to the same
 * organization run one after the other and the second sees the first.
 */
export async function changeAdministrators<T>(
  db: Kysely<Database>,
  organization: Namespace,
  change: AdminChange,
  actingUserId: number | undefined,
  apply: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await trx.updateTable('namespace').set({ enabled: sql`enabled` }).where('id', '=', organization.id).execute();
    await ensureAdministratorRemains(trx, organization, change, actingUserId);
    return apply(trx);
  });
}

/** The user accounts (not robots) among a team's members: notification recipients, team sync. */
export async function teamUserIds(db: Kysely<Database>, teamId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('team_member')
    .innerJoin('namespace', 'namespace.id', 'team_member.member_id')
    .select('team_member.member_id')
    .where('team_member.team_id', '=', teamId)
    .where('namespace.kind', '=', 'user')
    .execute();
  return rows.map((row) => Number(row.member_id));
}
