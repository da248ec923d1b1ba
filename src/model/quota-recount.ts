import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../db/tables.js';
import { enqueue } from './queue.js';

/** The body of a 'quotatotal' queue item: the namespace whose stored sizes are out of date. */
export interface QuotaRecountBody {
  namespace_id: number;
}

/**
 * How long a recount waits before a worker may take it. Every change to the namespace within the
 * wait finds the waiting item and adds nothing, so a burst of pushes costs one recount rather than
 * one each. The stored size lags by as much; a push's quota check still adds the push's own new blobs.
 */
export const QUOTA_RECOUNT_DELAY_MS = 15_000;

export function quotaRecountBody(namespaceId: number): string {
  const body: QuotaRecountBody = { namespace_id: namespaceId };
  return JSON.stringify(body);
}

/**
 * Asks the quotatotal worker to recompute the namespace's stored sizes, QUOTA_RECOUNT_DELAY_MS from
 * now. An item for the namespace that no worker holds yet already covers this change, so none is
 * added; an item in hand may have read the sizes before this change, so a new one is queued behind
 * it. Callers only call this when FEATURE_QUOTA_MANAGEMENT is on.
 */
export async function requestQuotaRecount(
  db: Kysely<Database> | Transaction<Database>,
  namespaceId: number,
): Promise<void> {
  const pending = await db
    .selectFrom('queue_item')
    .select('id')
    // A literal, not a parameter, so both databases can use the partial index queue_item_quotatotal_body.
    .where('queue_name', '=', sql.lit('quotatotal'))
    .where('body', '=', quotaRecountBody(namespaceId))
    .where('processing_expires', 'is', null)
    .where('retries_remaining', '>', 0)
    .limit(1)
    .executeTakeFirst();
  if (pending) return;
  await enqueue(db, 'quotatotal', { namespace_id: namespaceId }, { delayMs: QUOTA_RECOUNT_DELAY_MS });
}
