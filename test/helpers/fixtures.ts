import type { TeamRole } from '../../src/db/tables.js';
import { findNamespace, type Namespace } from '../../src/model/namespaces.js';
import { createOrganization } from '../../src/model/organizations.js';
import type { TestRegistry } from './registry.js';

/** Accounts, organizations and teams written straight to a test registry's database. */

/** The id of the user, robot or organization named `name`. */
export async function namespaceId(registry: TestRegistry, name: string): Promise<number> {
  const row = await findNamespace(registry.ctx.db, name);
  if (!row) throw new Error(`no account named ${name}`);
  return row.id;
}

/** Creates users who sign in with `password`, each with the e-mail address <name>@example.com. */
export async function createUsers(registry: TestRegistry, names: readonly string[], password: string): Promise<void> {
  for (const name of names) await registry.createUser(name, password, { email: `${name}@example.com` });
}

/** Creates organization `name` with user `creatorName` in its owners team, as POST /api/v1/organization/ does. */
export async function createOrganizationBy(registry: TestRegistry, name: string, creatorName: string): Promise<Namespace> {
  const { db, config } = registry.ctx;
  return createOrganization(db, config, { name, creatorId: await namespaceId(registry, creatorName) });
}

/** Adds a team with `role` and these members (users or robots, by name) to an organization; returns its id. */
export async function addTeam(
  registry: TestRegistry,
  organizationId: number,
  name: string,
  role: TeamRole,
  memberNames: readonly string[],
): Promise<number> {
  const { db } = registry.ctx;
  const team = await db
    .insertInto('team')
    .values({ organization_id: organizationId, name, role, description: '', created_at: Date.now() })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const member of memberNames) {
    await db.insertInto('team_member').values({ team_id: team.id, member_id: await namespaceId(registry, member) }).execute();
  }
  return team.id;
}
