import type { DeleteResult, Kysely } from 'kysely';
import type { Database } from '../../db/tables.js';
import { nowMs } from '../clock.js';
import { asSafeInteger } from '../narrow.js';
import { enqueue } from '../queue.js';
import { deletedRepositoryName } from '../repository-admin.js';
import { PURGE_CHUNK_ROWS, type PurgeObserver, repeatUntilDone, reported, SILENT_OBSERVER } from './purge-chunks.js';
import { purgeRepository, type RepositoryPurgeDeps } from './purge-repository.js';

/**
 * Purges a deleted user or organization (Quay's namespacegc): once the grace period has passed,
 * every repository of the namespace is marked and purged as a deleted repository is, then the
 * rows hanging off the namespace go (robots, teams, members, permissions, tokens, sessions,
 * default permissions, quota, ...) and finally the namespace row. Usage-log entries stay.
 * Each part removes only what is still there, so a retry after a crash, or a second worker on the
 * same namespace, finishes the job.
 */

export const NAMESPACE_GC_QUEUE = 'namespacegc';

/** A namespacegc item's body, as markNamespaceDeleted queues it. */
export interface NamespaceGcBody {
  namespace_id: number;
  original_name?: string;
}

export function parseNamespaceGcBody(body: Record<string, unknown>): NamespaceGcBody | undefined {
  const namespaceId = asSafeInteger(body['namespace_id']);
  if (namespaceId === undefined) return undefined;
  const originalName = body['original_name'];
  return typeof originalName === 'string' ? { namespace_id: namespaceId, original_name: originalName } : { namespace_id: namespaceId };
}

export type NamespacePurgeResult =
  | { status: 'purged'; repositoriesPurged: number }
  /** No such namespace: an earlier attempt or another worker finished the purge. */
  | { status: 'absent' }
  /** The namespace is not deleted, so it is left alone. */
  | { status: 'live' }
  /** Deleted, but the grace period runs until `untilMs`. */
  | { status: 'waiting'; untilMs: number };

/** Marks every repository of the namespace deleted (renamed as the API renames them), a chunk at a time. */
async function markRepositories(db: Kysely<Database>, namespaceId: number, limit: number): Promise<number> {
  const rows = await db
    .selectFrom('repository')
    .select(['id', 'name'])
    .where('namespace_id', '=', namespaceId)
    .where('state', '!=', 'MARKED_FOR_DELETION')
    .limit(limit)
    .execute();
  for (const row of rows) {
    await db
      .updateTable('repository')
      .set({ state: 'MARKED_FOR_DELETION', name: deletedRepositoryName(row.name, row.id) })
      .where('id', '=', row.id)
      .where('state', '!=', 'MARKED_FOR_DELETION')
      .execute();
  }
  return rows.length;
}

async function purgeRepositories(
  deps: RepositoryPurgeDeps,
  namespaceId: number,
  observer: PurgeObserver,
  limit: number,
): Promise<number> {
  await repeatUntilDone(() => markRepositories(deps.db, namespaceId, limit));
  let purged = 0;
  let afterId = 0;
  for (;;) {
    const rows = await deps.db
      .selectFrom('repository')
      .select('id')
      .where('namespace_id', '=', namespaceId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
    if (rows.length === 0) return purged;
    for (const { id } of rows) {
      if ((await purgeRepository(deps, id, observer, limit)).status === 'purged') purged++;
      afterId = id;
    }
  }
}

type DeleteQuery = { executeTakeFirst(): Promise<DeleteResult> };

interface NamespaceRows {
  table: string;
  /** Deletes at most `limit` of the namespace's rows in this table. */
  deleteChunk(db: Kysely<Database>, namespaceId: number, limit: number): DeleteQuery;
}

/**
 * What hangs off a namespace, in removal order. Robots and teams go first: deleting a robot's
 * namespace row or a team cascades to their memberships, permissions and invitations.
 */
const NAMESPACE_ROWS: readonly NamespaceRows[] = [
  {
    table: 'robot',
    deleteChunk: (db, id, limit) =>
      db
        .deleteFrom('namespace')
        .where('kind', '=', 'robot')
        .where('id', 'in', db.selectFrom('robot').select('namespace_id').where('owner_id', '=', id).limit(limit)),
  },
  {
    table: 'team',
    deleteChunk: (db, id, limit) =>
      db.deleteFrom('team').where('id', 'in', db.selectFrom('team').select('id').where('organization_id', '=', id).limit(limit)),
  },
  {
    table: 'default_permission',
    deleteChunk: (db, id, limit) =>
      db.deleteFrom('default_permission').where(
        'id',
        'in',
        db
          .selectFrom('default_permission')
          .select('id')
          .where((eb) => eb.or([eb('organization_id', '=', id), eb('activating_user_id', '=', id), eb('delegate_member_id', '=', id)]))
          .limit(limit),
      ),
  },
  {
    table: 'repository_permission',
    deleteChunk: (db, id, limit) =>
      db
        .deleteFrom('repository_permission')
        .where('id', 'in', db.selectFrom('repository_permission').select('id').where('member_id', '=', id).limit(limit)),
  },
  {
    table: 'team_member',
    deleteChunk: (db, id, limit) =>
      db
        .deleteFrom('team_member')
        .where('member_id', '=', id)
        .where('team_id', 'in', db.selectFrom('team_member').select('team_id').where('member_id', '=', id).limit(limit)),
  },
  {
    table: 'team_invite',
    deleteChunk: (db, id, limit) =>
      db.deleteFrom('team_invite').where(
        'id',
        'in',
        db
          .selectFrom('team_invite')
          .select('id')
          .where((eb) => eb.or([eb('user_id', '=', id), eb('inviter_id', '=', id)]))
          .limit(limit),
      ),
  },
  {
    table: 'app_token',
    deleteChunk: (db, id, limit) =>
      db.deleteFrom('app_token').where('id', 'in', db.selectFrom('app_token').select('id').where('user_id', '=', id).limit(limit)),
  },
  {
    table: 'user_session',
    deleteChunk: (db, id, limit) =>
      db.deleteFrom('user_session').where('id', 'in', db.selectFrom('user_session').select('id').where('user_id', '=', id).limit(limit)),
  },
  {
    table: 'federated_login',
    deleteChunk: (db, id) => db.deleteFrom('federated_login').where('user_id', '=', id),
  },
  {
    table: 'oauth_access_token',
    deleteChunk: (db, id, limit) =>
      db
        .deleteFrom('oauth_access_token')
        .where('id', 'in', db.selectFrom('oauth_access_token').select('id').where('namespace_id', '=', id).limit(limit)),
  },
  {
    table: 'oauth_application',
    deleteChunk: (db, id, limit) =>
      db
        .deleteFrom('oauth_application')
        .where('id', 'in', db.selectFrom('oauth_application').select('id').where('namespace_id', '=', id).limit(limit)),
  },
  {
    table: 'star',
    deleteChunk: (db, id, limit) =>
      db
        .deleteFrom('star')
        .where('user_id', '=', id)
        .where('repository_id', 'in', db.selectFrom('star').select('repository_id').where('user_id', '=', id).limit(limit)),
  },
  {
    table: 'notification',
    deleteChunk: (db, id, limit) =>
      db.deleteFrom('notification').where('id', 'in', db.selectFrom('notification').select('id').where('target_id', '=', id).limit(limit)),
  },
  {
    table: 'quota_limit',
    deleteChunk: (db, id) =>
      db.deleteFrom('quota_limit').where('quota_id', 'in', db.selectFrom('quota').select('id').where('namespace_id', '=', id)),
  },
  { table: 'quota', deleteChunk: (db, id) => db.deleteFrom('quota').where('namespace_id', '=', id) },
  {
    table: 'quota_namespace_size',
    deleteChunk: (db, id) => db.deleteFrom('quota_namespace_size').where('namespace_id', '=', id),
  },
  {
    table: 'quota_notification_state',
    deleteChunk: (db, id) => db.deleteFrom('quota_notification_state').where('namespace_id', '=', id),
  },
];

export interface NamespacePurgeOptions {
  /** How long after its deletion a namespace is kept (NAMESPACE_GC_GRACE_PERIOD_SECONDS). */
  graceMs: number;
  observer?: PurgeObserver;
  chunkRows?: number;
}

/** Purges the namespace if it was deleted at least `graceMs` ago. */
export async function purgeNamespace(
  deps: RepositoryPurgeDeps,
  namespaceId: number,
  options: NamespacePurgeOptions,
): Promise<NamespacePurgeResult> {
  const { db } = deps;
  const observer = options.observer ?? SILENT_OBSERVER;
  const limit = options.chunkRows ?? PURGE_CHUNK_ROWS;
  const namespace = await db.selectFrom('namespace').select(['kind', 'deleted_at']).where('id', '=', namespaceId).executeTakeFirst();
  if (!namespace) return { status: 'absent' };
  if (namespace.deleted_at === null || namespace.kind === 'robot') return { status: 'live' };
  const untilMs = Number(namespace.deleted_at) + options.graceMs;
  if (untilMs > nowMs()) return { status: 'waiting', untilMs };

  const repositoriesPurged = await purgeRepositories(deps, namespaceId, observer, limit);
  for (const rows of NAMESPACE_ROWS) {
    await repeatUntilDone(async () => {
      const result = await rows.deleteChunk(db, namespaceId, limit).executeTakeFirst();
      return reported(observer, rows.table, result.numDeletedRows);
    });
  }
  const removed = await db.deleteFrom('namespace').where('id', '=', namespaceId).where('deleted_at', 'is not', null).executeTakeFirst();
  if (reported(observer, 'namespace', removed.numDeletedRows) === 0) return { status: 'absent' };
  return { status: 'purged', repositoriesPurged };
}

/** Queues the namespace's purge again for when its grace period ends. */
export async function deferNamespacePurge(db: Kysely<Database>, body: NamespaceGcBody, untilMs: number): Promise<void> {
  await enqueue(db, NAMESPACE_GC_QUEUE, { ...body }, { delayMs: Math.max(0, untilMs - nowMs()) });
}
