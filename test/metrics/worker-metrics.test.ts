import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';
import { withWorkerMetrics } from '../../src/metrics/worker-metrics.js';
import { enqueue } from '../../src/model/queue.js';
import { PeriodicWorker } from '../../src/workers/periodic-worker.js';
import { QueueWorker } from '../../src/workers/queue-worker.js';
import { openTestDatabase, type TestDatabase } from '../auth/support.js';
import { testDialects } from '../helpers/databases.js';
import { parseSamples, sumOf } from './prometheus-text.js';

/**
 * What QueueWorker and PeriodicWorker count: claims (acquired or nothing there), completed and
 * dropped items, and the time of each unit of work, into the metrics they are given or, when built
 * inside withWorkerMetrics (as startBackgroundWorkers does), those of the process.
 */

const silent = pino({ level: 'silent' });

async function samplesOf(metrics: Metrics) {
  return parseSamples(await metrics.render());
}

describe('PeriodicWorker metrics', () => {
  it('times every run, failed ones included, under the worker name', async () => {
    const metrics = createMetrics();
    let calls = 0;
    const worker = withWorkerMetrics(metrics, () => new PeriodicWorker(silent, {
      name: 'sweeper',
      intervalMs: 60_000,
      run: async () => {
        calls++;
        if (calls === 2) throw new Error('second run fails');
      },
    }));
    await worker.runOnce();
    await expect(worker.runOnce()).rejects.toThrow('second run fails');
    const samples = await samplesOf(metrics);
    expect(sumOf(samples, 'quay_worker_operation_duration_seconds_count', { worker: 'sweeper', operation: 'run' })).toBe(2);
  });

  it('counts nothing outside withWorkerMetrics unless given metrics', async () => {
    const metrics = createMetrics();
    await new PeriodicWorker(silent, { name: 'loose', intervalMs: 60_000, run: async () => undefined }).runOnce();
    await new PeriodicWorker(silent, { name: 'given', intervalMs: 60_000, run: async () => undefined, metrics }).runOnce();
    const samples = await samplesOf(metrics);
    expect(sumOf(samples, 'quay_worker_operation_duration_seconds_count', { worker: 'loose' })).toBe(0);
    expect(sumOf(samples, 'quay_worker_operation_duration_seconds_count', { worker: 'given' })).toBe(1);
  });
});

describe.each(testDialects())('QueueWorker metrics (%s)', (dialect) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await openTestDatabase(dialect);
  });

  afterAll(async () => {
    await database?.close();
  });

  it('counts claims, empty polls, completions and dropped items', async () => {
    const metrics = createMetrics();
    const { db } = database;
    await enqueue(db, 'chunk_cleanup', { ok: true });
    await enqueue(db, 'chunk_cleanup', { ok: false }, { retries: 1 });
    const worker = withWorkerMetrics(metrics, () =>
      new QueueWorker(
        { db, dialect, log: silent },
        {
          queue: 'chunk_cleanup',
          name: 'chunks',
          handle: async (item) => {
            if (item.body['ok'] !== true) throw new Error('cannot be done');
          },
        },
      ),
    );
    expect(await worker.drain()).toBe(2);
    const samples = await samplesOf(metrics);
    const gets = (availability: string) => sumOf(samples, 'quay_queue_item_gets_total', { queue_name: 'chunk_cleanup', availability });
    expect(gets('acquired')).toBe(2);
    // drain() stops at the first poll that finds nothing.
    expect(gets('nonexistant')).toBe(1);
    // The failed item had no retries left: dropped, which deletes it too.
    expect(sumOf(samples, 'quay_queue_item_deletes_total', { queue_name: 'chunk_cleanup' })).toBe(2);
    expect(sumOf(samples, 'quay_worker_operation_duration_seconds_count', { worker: 'chunks', operation: 'handle' })).toBe(2);
  });
});
