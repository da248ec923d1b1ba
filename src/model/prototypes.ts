import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database, RepositoryRole } from '../db/tables.js';
import { Invalid, NotFound } from '../errors.js';
import { nowMs } from './clock.js';
import type { Namespace } from './namespaces.js';
import {
  asPermissionAccount,
  findPermissionAccount,
  isRobotOf,
  type OrganizationTeam,
  type PermissionAccount,
} from './permissions.js';
import { findTeam } from './teams.js';

/**
 * An organization's default permissions (Quay's permission prototypes): when someone (anyone, or
 * one given creator) creates a repository in the organization, a user, robot or team receives a
 * role on it. repository-creation.ts applies them; this module manages them.
 */

export type PrototypeDelegate = { kind: 'user'; account: PermissionAccount } | { kind: 'team'; team: OrganizationTeam };

export interface Prototype {
  uuid: string;
  role: RepositoryRole;
  /** The creator the prototype applies to; null: any creator. */
  activatingUser: PermissionAccount | null;
  delegate: PrototypeDelegate;
}

export interface NewPrototype {
  organization: Namespace;
  role: RepositoryRole;
  activatingUserName?: string | undefined;
  delegate: { kind: 'user' | 'team'; name: string };
}

function prototypeQuery(db: Kysely<Database>, organizationId: number) {
  return db
    .selectFrom('default_permission as p')
    .leftJoin('namespace as activating', 'activating.id', 'p.activating_user_id')
    .leftJoin('namespace as member', 'member.id', 'p.delegate_member_id')
    .leftJoin('team', 'team.id', 'p.delegate_team_id')
    .select([
      'p.uuid as uuid',
      'p.role as role',
      'activating.id as activating_id',
      'activating.name as activating_name',
      'activating.kind as activating_kind',
      'activating.email as activating_email',
      'member.id as member_id',
      'member.name as member_name',
      'member.kind as member_kind',
      'member.email as member_email',
      'team.id as team_id',
      'team.name as team_name',
    ])
    .where('p.organization_id', '=', organizationId);
}

type PrototypeRow = Awaited<ReturnType<ReturnType<typeof prototypeQuery>['executeTakeFirstOrThrow']>>;

/** The account of a left join: null when the row names none. */
function account(id: number | null, name: string | null, kind: string | null, email: string | null): PermissionAccount | null {
  return id === null || name === null ? null : asPermissionAccount({ id, name, kind, email });
}

function toPrototype(row: PrototypeRow): Prototype | undefined {
  const member = account(row.member_id, row.member_name, row.member_kind, row.member_email);
  let delegate: PrototypeDelegate;
  if (member) delegate = { kind: 'user', account: member };
  else if (row.team_id !== null && row.team_name !== null) delegate = { kind: 'team', team: { id: row.team_id, name: row.team_name } };
  // The delegate was deleted (the foreign key cascades, so this is only a moment's race).
  else return undefined;
  return {
    uuid: row.uuid,
    role: row.role,
    activatingUser: account(row.activating_id, row.activating_name, row.activating_kind, row.activating_email),
    delegate,
  };
}

export async function listPrototypes(db: Kysely<Database>, organizationId: number): Promise<Prototype[]> {
  const rows = await prototypeQuery(db, organizationId).orderBy('p.id').execute();
  return rows.map(toPrototype).filter((p): p is Prototype => p !== undefined);
}

export async function getPrototype(db: Kysely<Database>, organizationId: number, uuid: string): Promise<Prototype> {
  const row = await prototypeQuery(db, organizationId).where('p.uuid', '=', uuid).executeTakeFirst();
  const prototype = row ? toPrototype(row) : undefined;
  if (!prototype) throw new NotFound('prototype', `default permission ${uuid} not found`);
  return prototype;
}

/** Users anywhere, and the organization's own robots, may be creators and delegates. */
async function organizationAccount(
  db: Kysely<Database>,
  organization: Namespace,
  name: string,
): Promise<PermissionAccount | undefined> {
  const found = await findPermissionAccount(db, name);
  if (found?.kind === 'robot' && !isRobotOf(found, organization.name)) {
    throw new Invalid('input', `robot ${name} does not belong to organization ${organization.name}`);
  }
  return found;
}

async function resolveDelegate(
  db: Kysely<Database>,
  organization: Namespace,
  delegate: NewPrototype['delegate'],
): Promise<{ memberId: number | null; teamId: number | null }> {
  if (delegate.kind === 'user') {
    const member = await organizationAccount(db, organization, delegate.name);
    if (member) return { memberId: member.id, teamId: null };
  } else {
    const team = await findTeam(db, organization.id, delegate.name);
    if (team) return { memberId: null, teamId: team.id };
  }
  throw new Invalid('input', 'Missing delegate user or team');
}

export async function createPrototype(db: Kysely<Database>, input: NewPrototype): Promise<Prototype> {
  let activatingUserId: number | null = null;
  if (input.activatingUserName !== undefined) {
    const activating = await organizationAccount(db, input.organization, input.activatingUserName);
    if (!activating) throw new Invalid('input', 'Unknown activating user');
    activatingUserId = activating.id;
  }
  const delegate = await resolveDelegate(db, input.organization, input.delegate);
  const uuid = randomUUID();
  await db
    .insertInto('default_permission')
    .values({
      uuid,
      organization_id: input.organization.id,
      activating_user_id: activatingUserId,
      delegate_member_id: delegate.memberId,
      delegate_team_id: delegate.teamId,
      role: input.role,
      created_at: nowMs(),
    })
    .execute();
  return getPrototype(db, input.organization.id, uuid);
}

export async function updatePrototypeRole(
  db: Kysely<Database>,
  organizationId: number,
  uuid: string,
  role: RepositoryRole,
): Promise<Prototype> {
  await getPrototype(db, organizationId, uuid);
  await db
    .updateTable('default_permission')
    .set({ role })
    .where('organization_id', '=', organizationId)
    .where('uuid', '=', uuid)
    .execute();
  return getPrototype(db, organizationId, uuid);
}

export async function deletePrototype(db: Kysely<Database>, organizationId: number, uuid: string): Promise<void> {
  const result = await db
    .deleteFrom('default_permission')
    .where('organization_id', '=', organizationId)
    .where('uuid', '=', uuid)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw new NotFound('prototype', `default permission ${uuid} not found`);
}
