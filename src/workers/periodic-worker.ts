import type { Logger } from 'pino';
import type { Metrics } from '../metrics/registry.js';
import { startingWorkerMetrics, timedOperation } from '../metrics/worker-metrics.js';

export interface PeriodicWorkerOptions {
  /** The worker's name, for logs and the worker label of quay_worker_operation_duration_seconds. */
  name: string;
  /** Milliseconds between the end of one run and the start of the next. */
  intervalMs: number;
  /** Delay before the first run (default: one interval, so a starting process is not slowed). */
  initialDelayMs?: number;
  /** One pass of the work; a throw is logged and the next run happens on schedule. */
  run(): Promise<void>;
  /** Where run times are counted (default: those of startBackgroundWorkers). */
  metrics?: Metrics;
}

/**
 * Runs a job every interval, one run at a time, until stop(); stop() waits for the run in hand.
 * Work that several processes might run at once must make itself safe (row locks, leases): this
 * class only spaces the runs within one process.
 */
export class PeriodicWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private readonly metrics: Metrics | undefined;

  constructor(
    private readonly log: Logger,
    private readonly options: PeriodicWorkerOptions,
  ) {
    this.metrics = options.metrics ?? startingWorkerMetrics();
  }

  /** One run now (tests, CLI); errors propagate. */
  async runOnce(): Promise<void> {
    await timedOperation(this.metrics, this.options.name, 'run', () => this.options.run());
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(this.options.initialDelayMs ?? this.options.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((err: unknown) => this.log.error({ err, worker: this.options.name }, 'worker run failed'))
        .finally(() => {
          this.running = undefined;
          this.schedule(this.options.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
