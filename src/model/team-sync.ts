import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { Database, TeamSyncTable } from '../db/tables.js';
import { nowMs } from './clock.js';
import { teamUserIds } from './teams.js';

/**
 * Teams whose membership follows a directory group (team_sync). While a team is synced its user
 * members come from the group only; robots stay under manual control.
 */

export type TeamSync = Selectable<TeamSyncTable>;

/** What a synced team points at: the group's DN (relative to LDAP_BASE_DN, as Quay stores it, or absolute). */
export interface TeamSyncConfig {
  group_dn: string;
}

/**
 * Whether the team's membership is managed by a directory group. The teams API must refuse to add
 * or remove user members (robots remain allowed) of such a team.
 */
export async function isTeamSynced(db: Kysely<Database>, teamId: number): Promise<boolean> {
  const row = await db.selectFrom('team_sync').select('team_id').where('team_id', '=', teamId).executeTakeFirst();
  return row !== undefined;
}

export async function findTeamSync(db: Kysely<Database>, teamId: number): Promise<TeamSync | undefined> {
  return db.selectFrom('team_sync').selectAll().where('team_id', '=', teamId).executeTakeFirst();
}

/** Reads a team_sync config column; undefined when it is not a usable group reference. */
export function parseTeamSyncConfig(text: string): TeamSyncConfig | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    const groupDn = (parsed as { group_dn?: unknown } | null)?.group_dn;
    if (typeof groupDn === 'string' && groupDn.trim() !== '') return { group_dn: groupDn };
  } catch {
    // reported as unusable below
  }
  return undefined;
}

/** Binds the team to a group, replacing any earlier binding; the next worker run syncs it. */
export async function enableTeamSync(
  db: Kysely<Database>,
  teamId: number,
  service: string,
  config: TeamSyncConfig,
): Promise<void> {
  const values = { service, config: JSON.stringify({ group_dn: config.group_dn }), transaction_id: null, last_updated: null };
  await db
    .insertInto('team_sync')
    .values({ team_id: teamId, ...values })
    .onConflict((oc) => oc.column('team_id').doUpdateSet(values))
    .execute();
}

/** Returns whether the team was synced. */
export async function disableTeamSync(db: Kysely<Database>, teamId: number): Promise<boolean> {
  const result = await db.deleteFrom('team_sync').where('team_id', '=', teamId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Synced teams of `service` never synced or last synced before `cutoffMs`, least recently synced first. */
export async function staleTeamSyncs(
  db: Kysely<Database>,
  service: string,
  cutoffMs: number,
  limit: number,
): Promise<TeamSync[]> {
  return db
    .selectFrom('team_sync')
    .selectAll()
    .where('service', '=', service)
    .where((eb) => eb.or([eb('last_updated', 'is', null), eb('last_updated', '<', cutoffMs)]))
    .orderBy('last_updated')
    .orderBy('team_id')
    .limit(limit)
    .execute();
}

export interface MembershipChange {
  added: number[];
  removed: number[];
}

/**
 * Records a finished sync and makes the team's user members exactly `userIds`, in one
 * transaction. The sync row is claimed by swapping its transaction id: when another worker got
 * there first (the id changed since `sync` was read), nothing is changed and undefined is returned.
 */
export async function applyTeamSync(
  db: Kysely<Database>,
  sync: TeamSync,
  userIds: readonly number[],
): Promise<MembershipChange | undefined> {
  return db.transaction().execute(async (trx) => {
    const claimed = await trx
      .updateTable('team_sync')
      .set({ transaction_id: randomUUID(), last_updated: nowMs() })
      .where('team_id', '=', sync.team_id)
      .where((eb) =>
        sync.transaction_id === null ? eb('transaction_id', 'is', null) : eb('transaction_id', '=', sync.transaction_id),
      )
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return undefined;
    const current = new Set(await teamUserIds(trx, sync.team_id));
    const wanted = new Set(userIds);
    const added = [...wanted].filter((id) => !current.has(id));
    const removed = [...current].filter((id) => !wanted.has(id));
    if (added.length > 0) {
      await trx
        .insertInto('team_member')
        .values(added.map((memberId) => ({ team_id: sync.team_id, member_id: memberId })))
        .execute();
    }
    if (removed.length > 0) {
      await trx.deleteFrom('team_member').where('team_id', '=', sync.team_id).where('member_id', 'in', removed).execute();
    }
    return { added, removed };
  });
}
