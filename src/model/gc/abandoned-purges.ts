import type { Kysely } from 'kysely';
import type { Database } from '../../db/tables.js';
import { asSafeInteger } from '../narrow.js';
import { enqueue, type QueueName } from '../queue.js';
import { nameBeforeDeletion, queueRepositoryPurge } from '../repository-admin.js';

/**
 * Purges whose queue item is gone: the item ran out of retries (a worker crashing on it again and
 * again, say) while the repository stayed marked for deletion or the namespace deleted. Without a
 * new item nothing would ever finish them. Purges are safe to repeat, so an item queued twice (a
 * purge finishing while we look) only costs a second look that finds nothing.
 */

/** Deleted repositories or namespaces looked at per sweep. */
const SWEEP_LIMIT = 100;

/** Ids (`idKey` of the body) of the items of `queue` that a worker will still claim or holds now. */
async function pendingIds(db: Kysely<Database>, queue: QueueName, idKey: string, now: number): Promise<Set<number>> {
  const rows = await db
    .selectFrom('queue_item')
    .select('body')
    .where('queue_name', '=', queue)
    .where((eb) => eb.or([eb('retries_remaining', '>', 0), eb('processing_expires', '>=', now)]))
    .execute();
  const ids = new Set<number>();
  for (const row of rows) {
    try {
      const id = asSafeInteger((JSON.parse(row.body) as Record<string, unknown>)[idKey]);
      if (id !== undefined) ids.add(id);
    } catch {
      // an unreadable body names nothing
    }
  }
  return ids;
}

/** Queues a repositorygc item for each repository marked for deletion that has none; returns how many. */
export async function requeueAbandonedRepositoryPurges(db: Kysely<Database>, now: number): Promise<number> {
  const marked = await db
    .selectFrom('repository')
    .innerJoin('namespace', 'namespace.id', 'repository.namespace_id')
    .select(['repository.id as id', 'repository.name as name', 'namespace.name as namespace'])
    .where('repository.state', '=', 'MARKED_FOR_DELETION')
    .orderBy('repository.id')
    .limit(SWEEP_LIMIT)
    .execute();
  if (marked.length === 0) return 0;
  const pending = await pendingIds(db, 'repositorygc', 'repository_id', now);
  let queued = 0;
  for (const repo of marked) {
    if (pending.has(repo.id)) continue;
    await queueRepositoryPurge(db, { id: repo.id, namespace: repo.namespace, originalName: nameBeforeDeletion(repo.name, repo.id) });
    queued++;
  }
  return queued;
}

/** Queues a namespacegc item for each deleted namespace that has none; returns how many. */
export async function requeueAbandonedNamespacePurges(db: Kysely<Database>, now: number): Promise<number> {
  const deleted = await db
    .selectFrom('namespace')
    .select('id')
    .where('deleted_at', 'is not', null)
    .where('kind', '!=', 'robot')
    .orderBy('id')
    .limit(SWEEP_LIMIT)
    .execute();
  if (deleted.length === 0) return 0;
  const pending = await pendingIds(db, 'namespacegc', 'namespace_id', now);
  let queued = 0;
  for (const namespace of deleted) {
    if (pending.has(namespace.id)) continue;
    // The grace period counts from deleted_at, so the purge still waits for it.
    await enqueue(db, 'namespacegc', { namespace_id: namespace.id });
    queued++;
  }
  return queued;
}
