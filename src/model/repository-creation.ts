import type { Kysely } from 'kysely';
import type { Database, RepositoryRole, RepositoryVisibility } from '../db/tables.js';
import { nowMs } from './clock.js';
import type { Namespace } from './namespaces.js';
import { findRepository, getRepository, type RepositoryRef, type RepositoryWithNamespace } from './repositories.js';

export interface NewRepository {
  namespace: Namespace;
  name: string;
  visibility: RepositoryVisibility;
  description?: string | null | undefined;
  /** The user or robot creating it: it becomes an admin of the repository. */
  creatorId: number;
}

type Grantee = { memberId: number } | { teamId: number };

async function setPermission(
  db: Kysely<Database>,
  repositoryId: number,
  grantee: Grantee,
  role: RepositoryRole,
): Promise<void> {
  await db
    .deleteFrom('repository_permission')
    .where('repository_id', '=', repositoryId)
    .where('memberId' in grantee ? 'member_id' : 'team_id', '=', 'memberId' in grantee ? grantee.memberId : grantee.teamId)
    .execute();
  await db
    .insertInto('repository_permission')
    .values({
      repository_id: repositoryId,
      member_id: 'memberId' in grantee ? grantee.memberId : null,
      team_id: 'teamId' in grantee ? grantee.teamId : null,
      role,
    })
    .execute();
}

/**
 * The organization's default permissions that apply to a repository created by `creatorId`: those
 * for any creator and those naming this creator. When several name the same delegate, the one for
 * this specific creator wins; the creator, already an admin, is never demoted by one.
 */
async function applyDefaultPermissions(
  db: Kysely<Database>,
  organizationId: number,
  repositoryId: number,
  creatorId: number,
): Promise<void> {
  const prototypes = await db
    .selectFrom('default_permission')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where((eb) => eb.or([eb('activating_user_id', 'is', null), eb('activating_user_id', '=', creatorId)]))
    .orderBy('id')
    .execute();
  const specificFirst = [
    ...prototypes.filter((p) => p.activating_user_id !== null),
    ...prototypes.filter((p) => p.activating_user_id === null),
  ];
  const applied = new Set<string>();
  for (const prototype of specificFirst) {
    const grantee: Grantee | undefined =
      prototype.delegate_member_id !== null
        ? { memberId: prototype.delegate_member_id }
        : prototype.delegate_team_id !== null
          ? { teamId: prototype.delegate_team_id }
          : undefined;
    if (!grantee || ('memberId' in grantee && grantee.memberId === creatorId)) continue;
    const key = 'memberId' in grantee ? `member:${grantee.memberId}` : `team:${grantee.teamId}`;
    if (applied.has(key)) continue;
    applied.add(key);
    await setPermission(db, repositoryId, grantee, prototype.role);
  }
}

/**
 * Creates a repository, makes its creator an admin and applies the organization's default
 * permissions, all in one transaction. When a concurrent creator wins, returns their repository
 * and `created: false`.
 */
export async function createRepositoryWithPermissions(
  db: Kysely<Database>,
  input: NewRepository,
): Promise<{ repository: RepositoryWithNamespace; created: boolean }> {
  const ref: RepositoryRef = { namespace: input.namespace.name, name: input.name };
  const created = await db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('repository')
      .values({
        namespace_id: input.namespace.id,
        name: input.name,
        visibility: input.visibility,
        state: 'NORMAL',
        description: input.description ?? null,
        created_at: nowMs(),
      })
      .onConflict((oc) => oc.columns(['namespace_id', 'name']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return false;
    await setPermission(trx, inserted.id, { memberId: input.creatorId }, 'admin');
    if (input.namespace.kind === 'organization') {
      await applyDefaultPermissions(trx, input.namespace.id, inserted.id, input.creatorId);
    }
    return true;
  });
  return { repository: await getRepository(db, ref), created };
}

/** The repository `ref`, creating it as createRepositoryWithPermissions does when it is missing. */
export async function ensureRepositoryWithPermissions(
  db: Kysely<Database>,
  input: NewRepository,
): Promise<RepositoryWithNamespace> {
  const existing = await findRepository(db, { namespace: input.namespace.name, name: input.name });
  if (existing) return existing;
  return (await createRepositoryWithPermissions(db, input)).repository;
}
