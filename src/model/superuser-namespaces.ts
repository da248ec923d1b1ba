import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { nowMs } from './clock.js';
import { findNamespace, type Namespace, validateNamespaceName } from './namespaces.js';
import { OWNERS_TEAM } from './organizations.js';
import { formatRobotName, parseRobotName } from './robots.js';
import { revokeUserAccess, soleAdministratorOf } from './users.js';

/**
 * What superusers do to namespaces beyond the owners' own tools (Quay's superuser panel): list
 * every user or organization, rename an organization, and take ownership of an organization or
 * a user account.
 */

export interface NamespacePage {
  namespaces: Namespace[];
  /** The last name of this page when more follow. */
  nextAfter?: string;
}

export interface NamespacePageOptions {
  kind: 'user' | 'organization';
  /** Leave out disabled accounts. */
  enabledOnly?: boolean | undefined;
  after?: string | undefined;
  limit?: number | undefined;
}

/** Users or organizations that have not been deleted, by name; `limit` of them after `after` when given, else all. */
export async function listNamespacesPage(db: Kysely<Database>, options: NamespacePageOptions): Promise<NamespacePage> {
  let query = db
    .selectFrom('namespace')
    .selectAll()
    .where('kind', '=', options.kind)
    .where('deleted_at', 'is', null)
    .orderBy('name');
  if (options.enabledOnly) query = query.where('enabled', '=', 1);
  if (options.after !== undefined) query = query.where('name', '>', options.after);
  if (options.limit === undefined) return { namespaces: await query.execute() };
  const rows = await query.limit(options.limit + 1).execute();
  const namespaces = rows.slice(0, options.limit);
  const last = namespaces.at(-1);
  return rows.length > options.limit && last ? { namespaces, nextAfter: last.name } : { namespaces };
}

/**
 * Renames an organization and its robots (`old+short` becomes `new+short`) in one transaction.
 * Repositories, teams and permissions refer to it by id and follow.
 */
export async function renameOrganization(db: Kysely<Database>, organization: Namespace, newName: string): Promise<Namespace> {
  if (newName === organization.name) return organization;
  validateNamespaceName(newName);
  try {
    return await db.transaction().execute(async (trx) => {
      if (await findNamespace(trx, newName)) throw new Conflict(`the name "${newName}" is already taken`);
      const robots = await trx
        .selectFrom('robot')
        .innerJoin('namespace', 'namespace.id', 'robot.namespace_id')
        .select(['namespace.id as id', 'namespace.name as name'])
        .where('robot.owner_id', '=', organization.id)
        .execute();
      for (const robot of robots) {
        const parsed = parseRobotName(robot.name);
        if (!parsed) continue;
        await trx
          .updateTable('namespace')
          .set({ name: formatRobotName(newName, parsed.shortname) })
          .where('id', '=', robot.id)
          .execute();
      }
      return trx
        .updateTable('namespace')
        .set({ name: newName })
        .where('id', '=', organization.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    });
  } catch (err) {
    // The check above runs before the update; a concurrent creator can still take the name.
    if (isUniqueViolation(err)) throw new Conflict(`the name "${newName}" is already taken`);
    throw err;
  }
}

export interface OwnershipTaken {
  namespaceId: number;
  /** Whether the namespace was a user account, now converted into an organization. */
  wasUser: boolean;
}

/**
 * Makes `superuserId` an administrator of the namespace, as Quay's take-ownership does. An
 * organization gains the superuser in an admin team. A user account becomes an organization:
 * it can no longer sign in (password, sessions, tokens and external logins go), its direct
 * permissions and team memberships end, and the superuser heads its new owners team. A user who
 * is the only administrator of an organization is refused, as account deletion refuses it.
 */
export async function takeOwnership(db: Kysely<Database>, name: string, superuserId: number): Promise<OwnershipTaken> {
  return db.transaction().execute(async (trx) => {
    const namespace = await findNamespace(trx, name);
    if (!namespace || namespace.kind === 'robot') throw new NotFound('namespace', `namespace ${name} not found`);
    if (namespace.kind === 'organization') {
      await joinAdminTeam(trx, namespace.id, superuserId);
      return { namespaceId: namespace.id, wasUser: false };
    }
    const orphaned = await soleAdministratorOf(trx, namespace.id);
    if (orphaned.length > 0) {
      throw new Invalid('input', `${name} is the only administrator of organization ${orphaned.join(', ')}`);
    }
    await convertToOrganization(trx, namespace.id);
    await joinAdminTeam(trx, namespace.id, superuserId);
    return { namespaceId: namespace.id, wasUser: true };
  });
}

/** Adds the user to the organization's first admin team, creating an owners team when it has none. */
async function joinAdminTeam(trx: Kysely<Database>, organizationId: number, userId: number): Promise<void> {
  let team = await trx
    .selectFrom('team')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('role', '=', 'admin')
    .orderBy('id')
    .executeTakeFirst();
  team ??= await trx
    .insertInto('team')
    .values({ organization_id: organizationId, name: OWNERS_TEAM, role: 'admin', description: '', created_at: nowMs() })
    .returning('id')
    .executeTakeFirstOrThrow();
  const member = await trx
    .selectFrom('team_member')
    .select('team_id')
    .where('team_id', '=', team.id)
    .where('member_id', '=', userId)
    .executeTakeFirst();
  if (!member) await trx.insertInto('team_member').values({ team_id: team.id, member_id: userId }).execute();
}

async function convertToOrganization(trx: Kysely<Database>, userId: number): Promise<void> {
  await trx
    .updateTable('namespace')
    .set({ kind: 'organization', password_hash: null, superuser: 0 })
    .where('id', '=', userId)
    .execute();
  await revokeUserAccess(trx, userId);
  await trx.deleteFrom('star').where('user_id', '=', userId).execute();
}
