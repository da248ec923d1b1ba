import type { AppContext } from '../context.js';
import { asSafeInteger } from '../model/narrow.js';
import { updateQuotaNotifications } from '../model/quota-notifications.js';
import { namespacesNeverCounted, recountNamespaceSizes } from '../model/quota-sizes.js';
import { PeriodicWorker } from './periodic-worker.js';
import type { RunningWorker } from './index.js';
import { QueueWorker } from './queue-worker.js';
import { findNamespaceById } from '../model/namespaces.js';

/**
 * Keeps the stored namespace and repository sizes current (Quay's quotatotalworker). Pushes,
 * deletions and garbage collection queue a 'quotatotal' item for the namespace they changed; the
 * queue worker recomputes that namespace. With QUOTA_BACKFILL, a periodic pass that starts
 * QUOTA_TOTAL_DELAY_SECONDS after the worker computes the namespaces never computed, a batch at a
 * time, so enabling quotas on an existing registry fills in every total.
 */

export type QuotaTotalsContext = Pick<AppContext, 'db' | 'dialect' | 'config' | 'log'>;

/** Namespaces the backfill computes per pass. */
const BACKFILL_BATCH = 50;
/** Batches per pass at most, so one pass never holds a stopping worker for long. */
const BACKFILL_BATCHES_PER_PASS = 20;
/** Between backfill passes (Quay's worker period). */
const BACKFILL_INTERVAL_MS = 15_000;

export interface QuotaTotalsWorkers {
  queue: QueueWorker;
  backfill: PeriodicWorker;
}

/**
 * Recounts the namespace if it still exists (a deleted one has nothing to count), then, with
 * FEATURE_QUOTA_NOTIFICATIONS, notifies the quota thresholds the new size reaches.
 */
async function recountIfPresent(ctx: QuotaTotalsContext, namespaceId: number): Promise<void> {
  const namespace = await findNamespaceById(ctx.db, namespaceId);
  if (!namespace) return;
  const sizes = await recountNamespaceSizes(ctx.db, namespaceId);
  if (ctx.config.FEATURE_QUOTA_NOTIFICATIONS) {
    await updateQuotaNotifications(ctx.db, namespace, sizes.namespaceBytes, ctx.config.DEFAULT_SYSTEM_REJECT_QUOTA_BYTES);
  }
}

/** Runs one backfill pass: computes up to a batch of never-computed namespaces; returns how many. */
export async function backfillQuotaTotals(ctx: QuotaTotalsContext, batch = BACKFILL_BATCH): Promise<number> {
  const ids = await namespacesNeverCounted(ctx.db, batch);
  for (const id of ids) await recountIfPresent(ctx, id);
  if (ids.length > 0) ctx.log.info({ namespaces: ids.length }, 'quota totals backfilled');
  return ids.length;
}

export function createQuotaTotalsWorkers(ctx: QuotaTotalsContext, options: { pollMs?: number } = {}): QuotaTotalsWorkers {
  const queue = new QueueWorker(
    { db: ctx.db, dialect: ctx.dialect, log: ctx.log },
    {
      queue: 'quotatotal',
      async handle(item) {
        const namespaceId = asSafeInteger(item.body['namespace_id']);
        if (namespaceId === undefined) {
          ctx.log.warn({ item: item.id }, 'quotatotal item without a namespace id; dropped');
          return;
        }
        await recountIfPresent(ctx, namespaceId);
      },
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    },
  );
  const backfill = new PeriodicWorker(ctx.log, {
    name: 'quotatotal-backfill',
    intervalMs: BACKFILL_INTERVAL_MS,
    initialDelayMs: ctx.config.QUOTA_TOTAL_DELAY_SECONDS * 1000,
    async run() {
      for (let i = 0; i < BACKFILL_BATCHES_PER_PASS; i++) {
        if ((await backfillQuotaTotals(ctx)) < BACKFILL_BATCH) return;
      }
    },
  });
  return { queue, backfill };
}

/** Starts the totals worker (and the backfill with QUOTA_BACKFILL); undefined when quotas are off. */
export function startQuotaTotalsWorker(ctx: QuotaTotalsContext): RunningWorker | undefined {
  if (!ctx.config.FEATURE_QUOTA_MANAGEMENT) return undefined;
  const { queue, backfill } = createQuotaTotalsWorkers(ctx);
  queue.start();
  if (ctx.config.QUOTA_BACKFILL) backfill.start();
  return {
    async stop() {
      await Promise.all([queue.stop(), backfill.stop()]);
    },
  };
}
