import { AsyncLocalStorage } from 'node:async_hooks';
import type { Metrics } from './registry.js';

/**
 * The metrics of the process whose background workers are starting. Workers are built by many
 * modules from narrow slices of the AppContext; rather than thread `metrics` through each of them,
 * startBackgroundWorkers starts them inside `withWorkerMetrics`, and QueueWorker and PeriodicWorker
 * pick the metrics up when constructed. Workers built elsewhere (tests, one-off CLI runs) count
 * nothing unless given metrics explicitly.
 */
const starting = new AsyncLocalStorage<Metrics>();

export function withWorkerMetrics<T>(metrics: Metrics, start: () => T): T {
  return starting.run(metrics, start);
}

export function startingWorkerMetrics(): Metrics | undefined {
  return starting.getStore();
}

/** Times one operation of a worker into quay_worker_operation_duration_seconds, thrown or not. */
export async function timedOperation<T>(
  metrics: Metrics | undefined,
  worker: string,
  operation: string,
  run: () => Promise<T>,
): Promise<T> {
  if (!metrics) return run();
  const end = metrics.workerOperationDuration.startTimer({ worker, operation });
  try {
    return await run();
  } finally {
    end();
  }
}
