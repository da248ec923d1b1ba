import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../db/migrations/column-types.js';
import type { Database } from '../db/tables.js';
import { nowMs } from './clock.js';

/**
 * The durable work queue (Quay's QueueItem): work items that workers lease and complete. Claiming
 * decrements retries_remaining and sets a lease (processing_expires); an item whose lease ran out
 * without completion is handed out again while retries remain. The workers that consume each queue
 * live under src/workers/.
 */

/** Queue names, as the workers know them. */
export type QueueName = 'namespace_gc' | 'repository_gc' | 'notification' | 'exportactionlogs';

export interface EnqueueOptions {
  /** Do not hand the item out before this delay has passed. */
  delayMs?: number;
  retries?: number;
}

export async function enqueue(
  db: Kysely<Database>,
  queue: QueueName,
  body: Record<string, unknown>,
  options: EnqueueOptions = {},
): Promise<number> {
  const now = nowMs();
  const row = await db
    .insertInto('queue_item')
    .values({
      queue_name: queue,
      body: JSON.stringify(body),
      available_after: now + (options.delayMs ?? 0),
      processing_expires: null,
      retries_remaining: options.retries ?? 5,
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface LeasedItem {
  id: number;
  queue: QueueName;
  body: Record<string, unknown>;
  /** Claims left after this one. */
  retriesRemaining: number;
}

interface ClaimedRow {
  id: number | string;
  body: string;
  retries_remaining: number | string;
}

/**
 * Leases the oldest available item of `queue` for `leaseMs`. On PostgreSQL concurrent workers skip
 * rows another transaction holds; SQLite serializes writers, so the one statement is enough.
 */
export async function claimQueueItem(
  db: Kysely<Database>,
  dialect: Dialect,
  queue: QueueName,
  leaseMs: number,
): Promise<LeasedItem | undefined> {
  const now = nowMs();
  const skipLocked = dialect === 'postgres' ? sql`for update skip locked` : sql``;
  const result = await sql<ClaimedRow>`
    update queue_item
       set processing_expires = ${now + leaseMs}, retries_remaining = retries_remaining - 1
     where id = (
       select id from queue_item
        where queue_name = ${queue}
          and available_after <= ${now}
          and retries_remaining > 0
          and (processing_expires is null or processing_expires < ${now})
        order by id
        limit 1
        ${skipLocked})
    returning id, body, retries_remaining`.execute(db);
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    id: Number(row.id),
    queue,
    body: JSON.parse(row.body) as Record<string, unknown>,
    retriesRemaining: Number(row.retries_remaining),
  };
}

/** The work is done: the item leaves the queue. */
export async function completeQueueItem(db: Kysely<Database>, id: number): Promise<void> {
  await db.deleteFrom('queue_item').where('id', '=', id).execute();
}

/** The attempt failed: the item becomes available again after `delayMs` if it has claims left. */
export async function releaseQueueItem(db: Kysely<Database>, id: number, delayMs: number): Promise<void> {
  await db
    .updateTable('queue_item')
    .set({ processing_expires: null, available_after: nowMs() + delayMs })
    .where('id', '=', id)
    .execute();
}
