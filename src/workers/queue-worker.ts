import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Dialect } from '../db/migrations/column-types.js';
import type { Database } from '../db/tables.js';
import type { Metrics } from '../metrics/registry.js';
import { startingWorkerMetrics, timedOperation } from '../metrics/worker-metrics.js';
import {
  claimQueueItem,
  completeQueueItem,
  type LeasedItem,
  type QueueName,
  releaseQueueItem,
} from '../model/queue.js';

export interface QueueWorkerDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  log: Logger;
  /** Where gets, deletes and handling times are counted (default: those of startBackgroundWorkers). */
  metrics?: Metrics;
}

export interface QueueWorkerOptions {
  queue: QueueName;
  /** The worker label of quay_worker_operation_duration_seconds (default: the queue name). */
  name?: string;
  /** Does the item's work; a throw releases the item for a retry after a back-off. */
  handle(item: LeasedItem): Promise<void>;
  /** How long a claim lasts before another worker may take the item (default 5 min). */
  leaseMs?: number;
  /** Wait between polls of an empty queue (default 1 s). */
  pollMs?: number;
  /** Back-off before retry n (1-based) of a failed item (default 10 s doubling, at most 10 min). */
  retryDelayMs?(attempt: number): number;
}

const DEFAULT_LEASE_MS = 5 * 60_000;
const DEFAULT_POLL_MS = 1000;

function defaultRetryDelayMs(attempt: number): number {
  return Math.min(10_000 * 2 ** (attempt - 1), 10 * 60_000);
}

/**
 * Consumes one queue: claims an item, runs the handler, and completes or releases it. Several
 * workers (in this process or others sharing the database) may consume the same queue; the lease
 * keeps each item with one of them at a time.
 */
export class QueueWorker {
  private stopped = true;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly attempts = new Map<number, number>();
  private readonly metrics: Metrics | undefined;

  constructor(
    private readonly deps: QueueWorkerDeps,
    private readonly options: QueueWorkerOptions,
  ) {
    this.metrics = deps.metrics ?? startingWorkerMetrics();
  }

  /** Claims and handles one item; false when none was available. */
  async runOne(): Promise<boolean> {
    const { db, dialect, log } = this.deps;
    const { queue } = this.options;
    const item = await claimQueueItem(db, dialect, queue, this.options.leaseMs ?? DEFAULT_LEASE_MS);
    this.metrics?.queueItemGets.inc({ queue_name: queue, availability: item ? 'acquired' : 'nonexistant' });
    if (!item) return false;
    try {
      await timedOperation(this.metrics, this.options.name ?? queue, 'handle', () => this.options.handle(item));
      this.attempts.delete(item.id);
      await this.complete(item, 'complete');
    } catch (err) {
      const attempt = (this.attempts.get(item.id) ?? 0) + 1;
      this.attempts.set(item.id, attempt);
      const delay = (this.options.retryDelayMs ?? defaultRetryDelayMs)(attempt);
      log.warn({ err, queue: item.queue, item: item.id, retriesRemaining: item.retriesRemaining }, 'queue item failed');
      if (item.retriesRemaining > 0) {
        if (!(await releaseQueueItem(db, item, delay))) this.leaseLost(item, 'release');
      } else {
        this.attempts.delete(item.id);
        await this.complete(item, 'drop');
      }
    }
    return true;
  }

  /** Removes the item from the queue, unless its lease was lost meanwhile. */
  private async complete(item: LeasedItem, action: string): Promise<void> {
    if (await completeQueueItem(this.deps.db, item)) this.metrics?.queueItemDeletes.inc({ queue_name: item.queue });
    else this.leaseLost(item, action);
  }

  /** The item's lease ran out while it was handled and another claim took it: that claim finishes it. */
  private leaseLost(item: LeasedItem, action: string): void {
    this.deps.log.warn({ queue: item.queue, item: item.id }, `queue item lease ran out before ${action}; left to its new holder`);
  }

  /** Handles items until none is available; returns how many were handled (tests, CLI). */
  async drain(): Promise<number> {
    let handled = 0;
    while (await this.runOne()) handled++;
    return handled;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Finishes the item in hand, then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let handled = false;
      try {
        handled = await this.runOne();
      } catch (err) {
        this.deps.log.error({ err, queue: this.options.queue }, 'queue poll failed');
      }
      if (!handled && !this.stopped) await this.sleep(this.options.pollMs ?? DEFAULT_POLL_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
