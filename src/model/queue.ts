import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { nowMs } from './clock.js';

/**
 * The durable work queue (Quay's QueueItem): work items that workers lease and complete. This
 * module only enqueues; the workers that consume each queue live under src/workers/.
 */

/** Queue names, as the workers know them. */
export type QueueName = 'namespace_gc' | 'repository_gc';

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
