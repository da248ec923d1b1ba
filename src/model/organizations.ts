import type { Kysely } from 'kysely';
import type { QuaysideConfig } from '../config/load.js';
import type { Database } from '../db/tables.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { Conflict, NotFound } from '../errors.js';
import { nowMs } from './clock.js';
import {
  ACCOUNT_SUMMARY_COLUMNS,
  type AccountSummary,
  accountSummary,
  createNamespace,
  findNamespace,
  markNamespaceDeleted,
  type Namespace,
} from './namespaces.js';
import { deleteRobotsOwnedBy } from './robots.js';
import { parseDurationSeconds, validateEmail } from './users.js';

/** The team every organization starts with; its members administer the organization. */
export const OWNERS_TEAM = 'owners';

export interface NewOrganization {
  name: string;
  email?: string | null | undefined;
  /** The user who becomes the first member of the owners team. */
  creatorId: number;
}

/** Creates an organization with an `owners` admin team holding its creator, in one transaction. */
export async function createOrganization(
  db: Kysely<Database>,
  config: QuaysideConfig,
  input: NewOrganization,
): Promise<Namespace> {
  try {
    return await insertOrganization(db, config, input);
  } catch (err) {
    // createNamespace checks the name first, but a concurrent creator can still win the insert.
    if (isUniqueViolation(err)) throw new Conflict(`the name "${input.name}" is already taken`);
    throw err;
  }
}

async function insertOrganization(
  db: Kysely<Database>,
  config: QuaysideConfig,
  input: NewOrganization,
): Promise<Namespace> {
  return db.transaction().execute(async (trx) => {
    const organization = await createNamespace(trx, {
      name: input.name,
      kind: 'organization',
      email: input.email ?? null,
      removedTagExpirationS: parseDurationSeconds(config.DEFAULT_TAG_EXPIRATION),
    });
    const team = await trx
      .insertInto('team')
      .values({
        organization_id: organization.id,
        name: OWNERS_TEAM,
        role: 'admin',
        description: '',
        created_at: nowMs(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx.insertInto('team_member').values({ team_id: team.id, member_id: input.creatorId }).execute();
    return organization;
  });
}

/** The organization named `name`; NotFound for unknown names and for users or robots. */
export async function getOrganization(db: Kysely<Database>, name: string): Promise<Namespace> {
  const found = await findNamespace(db, name);
  if (found?.kind !== 'organization') throw new NotFound('namespace', `organization ${name} not found`);
  return found;
}

export interface OrganizationChanges {
  email?: string | undefined;
  /** The time-machine window, already checked against TAG_EXPIRATION_OPTIONS. */
  tagExpirationS?: number | undefined;
}

/** Changes the contact e-mail and the time-machine window. An e-mail address may name only one account. */
export async function updateOrganization(
  db: Kysely<Database>,
  organization: Namespace,
  changes: OrganizationChanges,
): Promise<Namespace> {
  const set: { email?: string; removed_tag_expiration_s?: number } = {};
  if (changes.email !== undefined && changes.email !== organization.email) {
    validateEmail(changes.email);
    const taken = await db
      .selectFrom('namespace')
      .select('id')
      .where('email', '=', changes.email)
      .where('id', '!=', organization.id)
      .executeTakeFirst();
    if (taken) throw new Conflict(`the e-mail address "${changes.email}" is already used by another account`);
    set.email = changes.email;
  }
  if (changes.tagExpirationS !== undefined) set.removed_tag_expiration_s = changes.tagExpirationS;
  if (Object.keys(set).length === 0) return organization;
  return db
    .updateTable('namespace')
    .set(set)
    .where('id', '=', organization.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Marks an organization deleted, as Quay does: it is renamed and disabled at once (its name is free
 * again), its teams, robots and OAuth applications are removed, and the namespacegc queue gets the
 * slow part (repositories and their content).
 */
export async function markOrganizationForDeletion(db: Kysely<Database>, organization: Namespace): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await markNamespaceDeleted(trx, organization);
    await trx.deleteFrom('team').where('organization_id', '=', organization.id).execute();
    await trx.deleteFrom('default_permission').where('organization_id', '=', organization.id).execute();
    await trx.deleteFrom('oauth_application').where('namespace_id', '=', organization.id).execute();
    await deleteRobotsOwnedBy(trx, organization.id);
  });
}

// ---- members and collaborators --------------------------------------------------------------

export interface TeamMembership {
  member: AccountSummary;
  teamId: number;
  teamName: string;
}

/** Every (member, team) pair of the organization's teams, users and robots, by member name. */
export async function listTeamMemberships(db: Kysely<Database>, organizationId: number): Promise<TeamMembership[]> {
  const rows = await db
    .selectFrom('team')
    .innerJoin('team_member', 'team_member.team_id', 'team.id')
    .innerJoin('namespace', 'namespace.id', 'team_member.member_id')
    .select([...ACCOUNT_SUMMARY_COLUMNS, 'team.id as team_id', 'team.name as team_name'])
    .where('team.organization_id', '=', organizationId)
    .orderBy('namespace.name')
    .orderBy('team.id')
    .execute();
  return rows.map((r) => ({
    member: accountSummary(r),
    teamId: r.team_id,
    teamName: r.team_name,
  }));
}

export interface DirectPermission {
  member: AccountSummary;
  repositoryName: string;
}

/**
 * Permissions granted directly to users (not teams) on the organization's repositories; robots'
 * too when `memberId` names one.
 */
export async function listDirectPermissions(
  db: Kysely<Database>,
  organizationId: number,
  memberId?: number,
): Promise<DirectPermission[]> {
  let query = db
    .selectFrom('repository_permission')
    .innerJoin('repository', 'repository.id', 'repository_permission.repository_id')
    .innerJoin('namespace', 'namespace.id', 'repository_permission.member_id')
    .select([...ACCOUNT_SUMMARY_COLUMNS, 'repository.name as repository_name'])
    .where('repository.namespace_id', '=', organizationId)
    .where('repository.state', '!=', 'MARKED_FOR_DELETION');
  query = memberId === undefined ? query.where('namespace.kind', '=', 'user') : query.where('namespace.id', '=', memberId);
  const rows = await query.orderBy('namespace.name').orderBy('repository.name').execute();
  return rows.map((r) => ({
    member: accountSummary(r),
    repositoryName: r.repository_name,
  }));
}

/** Takes a user out of every team of the organization and revokes their permissions on its repositories. */
export async function removeOrganizationMember(
  db: Kysely<Database>,
  organization: Namespace,
  memberId: number,
): Promise<void> {
  // Two statements: the caller runs them in its transaction (see changeAdministrators).
  const teams = db.selectFrom('team').select('id').where('organization_id', '=', organization.id);
  await db.deleteFrom('team_member').where('member_id', '=', memberId).where('team_id', 'in', teams).execute();
  const repositories = db.selectFrom('repository').select('id').where('namespace_id', '=', organization.id);
  await db
    .deleteFrom('repository_permission')
    .where('member_id', '=', memberId)
    .where('repository_id', 'in', repositories)
    .execute();
}
