import type { Kysely } from 'kysely';
import type { QuaysideConfig } from '../config/load.js';
import type { Database } from '../db/tables.js';
import { nowMs } from './clock.js';
import { createNamespace, type Namespace } from './namespaces.js';
import { parseDurationSeconds } from './users.js';

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
