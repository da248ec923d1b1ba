import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../db/migrations/column-types.js';
import type { Database } from '../db/tables.js';
import { nowMs } from './clock.js';

/**
 * The durable work queue (Quay's QueueItem): work items that workers lease and complete. Claiming
 * decrements retries_remaining and sets a lease (processing_expires); an item whose lease ran out
 * without completion is handed out again while retries remain. The lease's expiry doubles as the
 * claim's token: completing or releasing an item only acts while the item still carries the
 * caller's lease, so a worker whose lease ran out cannot touch an item another worker now holds.
 * Each claim strictly raises processing_expires (a new lease starts after the old one ended), so
 * two claims never share a token. The workers that consume each queue live under src/workers/.
 */

/** Quay's queue names (its *_QUEUE_NAME defaults), so operators read the same names in metrics. */
export const QUEUE_NAMES = [
  'namespacegc',
  'repositorygc',
  'notification',
  'exportactionlogs',
  'imagestoragereplication',
  'secscanv4',
  'chunk_cleanup',
  'quotatotal',
] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

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

/** What identifies one claim of an item: its id and the lease's expiry (the token). */
export interface QueueLease {
  id: number;
  lease: number;
}

export interface LeasedItem extends QueueLease {
  queue: QueueName;
  body: Record<string, unknown>;
  /** Claims left after this one. */
  retriesRemaining: number;
}

interface ClaimedRow {
  id: number | string;
  body: string;
  retries_remaining: number | string;
  processing_expires: number | string;
}

/**
 * Leases the oldest available item of `queue` for `leaseMs`. On PostgreSQL concurrent workers skip
 * rows another transaction holds; SQLite serializes writers, so the one statement is enough. When
 * nothing is available, items whose last claim's lease ran out are removed (see removeExhausted).
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
    returning id, body, retries_remaining, processing_expires`.execute(db);
  const row = result.rows[0];
  if (!row) {
    await removeExhausted(db, queue, now);
    return undefined;
  }
  return {
    id: Number(row.id),
    lease: Number(row.processing_expires),
    queue,
    body: JSON.parse(row.body) as Record<string, unknown>,
    retriesRemaining: Number(row.retries_remaining),
  };
}

/**
 * Deletes items of `queue` that can never be claimed again: no claims left and the last lease ran
 * out (the worker holding it died or overran; a failed last attempt is deleted by the worker
 * itself). Run only when the queue had nothing to hand out, so busy queues pay nothing for it.
 */
async function removeExhausted(db: Kysely<Database>, queue: QueueName, now: number): Promise<void> {
  await db
    .deleteFrom('queue_item')
    .where('queue_name', '=', queue)
    .where('retries_remaining', '<=', 0)
    .where('processing_expires', '<', now)
    .execute();
}

/**
 * The work is done: the item leaves the queue. False, changing nothing, when the lease was lost
 * meanwhile (the item ran out of time and another claim took it: that claim finishes it).
 */
export async function completeQueueItem(db: Kysely<Database>, claim: QueueLease): Promise<boolean> {
  const result = await db
    .deleteFrom('queue_item')
    .where('id', '=', claim.id)
    .where('processing_expires', '=', claim.lease)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * The attempt failed: the item becomes available again after `delayMs` if it has claims left.
 * False, changing nothing, when the lease was lost meanwhile: the item is left to its new holder.
 */
export async function releaseQueueItem(db: Kysely<Database>, claim: QueueLease, delayMs: number): Promise<boolean> {
  const result = await db
    .updateTable('queue_item')
    .set({ processing_expires: null, available_after: nowMs() + delayMs })
    .where('id', '=', claim.id)
    .where('processing_expires', '=', claim.lease)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** How much work one queue holds at a moment (the quay_queue_items_* gauges). */
export interface QueueDepth {
  /** Items not yet completed: waiting, delayed, or in a worker's hands. */
  available: number;
  /** Items a worker could claim right now. */
  availableUnlocked: number;
  /** Items under a live lease. */
  locked: number;
}

/**
 * Depth of every queue in QUEUE_NAMES (zeros for an empty one), from one grouped query. Items with
 * no claims left whose last lease ran out are dead (removed on the next empty poll): not counted.
 */
export async function queueDepths(db: Kysely<Database>, now: number = nowMs()): Promise<Record<QueueName, QueueDepth>> {
  const rows = await db
    .selectFrom('queue_item')
    .select((eb) => [
      'queue_name',
      eb.fn
        .sum<number | string | null>(
          eb.case().when(eb.or([eb('retries_remaining', '>', 0), eb('processing_expires', '>=', now)])).then(1).else(0).end(),
        )
        .as('available'),
      eb.fn
        .sum<number | string | null>(
          eb
            .case()
            .when(
              eb.and([
                eb('available_after', '<=', now),
                eb('retries_remaining', '>', 0),
                eb.or([eb('processing_expires', 'is', null), eb('processing_expires', '<', now)]),
              ]),
            )
            .then(1)
            .else(0)
            .end(),
        )
        .as('unlocked'),
      eb.fn.sum<number | string | null>(eb.case().when('processing_expires', '>=', now).then(1).else(0).end()).as('locked'),
    ])
    .groupBy('queue_name')
    .execute();
  const depths = Object.fromEntries(
    QUEUE_NAMES.map((name) => [name, { available: 0, availableUnlocked: 0, locked: 0 }]),
  ) as Record<QueueName, QueueDepth>;
  for (const row of rows) {
    const depth = depths[row.queue_name as QueueName];
    // Items of a queue this version does not know are left out, so the label set stays fixed.
    if (!depth) continue;
    depth.available = Number(row.available ?? 0);
    depth.availableUnlocked = Number(row.unlocked ?? 0);
    depth.locked = Number(row.locked ?? 0);
  }
  return depths;
}
