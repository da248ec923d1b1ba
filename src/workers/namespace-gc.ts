import type { AppContext } from '../context.js';
import { deferNamespacePurge, parseNamespaceGcBody, purgeNamespace } from '../model/gc/purge-namespace.js';
import type { LeasedItem } from '../model/queue.js';
import { purgeObserver } from './gc-metrics.js';
import { QueueWorker } from './queue-worker.js';
import { GC_LEASE_MS } from './repository-gc.js';

/**
 * The namespacegc worker (Quay's namespacegcworker): purges each deleted user or organization
 * once NAMESPACE_GC_GRACE_PERIOD_SECONDS have passed since its deletion, repositories first. An
 * item claimed before then is queued again for the end of the grace period. The queue lease gives
 * each item one holder; the purge itself is safe to repeat.
 */

export type NamespaceGcContext = Pick<AppContext, 'db' | 'dialect' | 'storage' | 'config' | 'metrics' | 'log'>;

export function createNamespaceGcWorker(ctx: NamespaceGcContext, options: { pollMs?: number } = {}): QueueWorker {
  const observer = purgeObserver(ctx, 'namespacegc');

  async function handle(item: LeasedItem): Promise<void> {
    const body = parseNamespaceGcBody(item.body);
    if (!body) {
      ctx.log.warn({ item: item.id }, 'namespacegc item without a namespace id; dropped');
      return;
    }
    const graceMs = ctx.config.NAMESPACE_GC_GRACE_PERIOD_SECONDS * 1000;
    const result = await purgeNamespace(ctx, body.namespace_id, { graceMs, observer });
    const logged = { namespace: body.namespace_id, name: body.original_name };
    switch (result.status) {
      case 'waiting':
        await deferNamespacePurge(ctx.db, body, result.untilMs);
        return;
      case 'live':
        ctx.log.warn(logged, 'namespacegc item names a namespace that is not deleted; left alone');
        return;
      case 'purged':
        ctx.metrics.gcNamespacesPurged.inc();
        ctx.log.info({ ...logged, repositories: result.repositoriesPurged }, 'deleted namespace purged');
        return;
      case 'absent':
        return;
    }
  }

  return new QueueWorker(
    { db: ctx.db, dialect: ctx.dialect, log: ctx.log },
    { queue: 'namespacegc', handle, leaseMs: GC_LEASE_MS, ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}) },
  );
}

/** Starts the worker when FEATURE_NAMESPACE_GARBAGE_COLLECTION is on. */
export function startNamespaceGcWorker(ctx: NamespaceGcContext): QueueWorker | undefined {
  if (!ctx.config.FEATURE_NAMESPACE_GARBAGE_COLLECTION) return undefined;
  const worker = createNamespaceGcWorker(ctx);
  worker.start();
  return worker;
}
