import type { Command } from 'commander';
import { openAppServices } from '../app.js';
import { startBackgroundWorkers, WORKERS } from '../workers/index.js';
import { action, loadInstanceConfig, withInstanceOptions } from './common.js';
import { parseMetricsPort, serveMetrics } from './metrics-endpoint.js';
import { parseWorkerNames } from './worker-selection.js';

interface WorkerOptions {
  configDir?: string;
  dataDir?: string;
  only?: string[];
  list?: boolean;
  logLevel: string;
  metricsHost: string;
  metricsPort: string;
}

function printWorkerList(): void {
  const width = Math.max(...WORKERS.map((worker) => worker.name.length));
  for (const worker of WORKERS) console.log(`${worker.name.padEnd(width)}  ${worker.description}`);
}

/**
 * `quayside worker`: the background workers without the HTTP app, for scale-out deployments where
 * `serve --workers none` replicas answer requests. Several worker processes may share one
 * database: queue items are leased, so each is handled once. SIGTERM or SIGINT stops the workers
 * (each finishes or releases the work in hand) and exits 0.
 */
async function runWorkers(options: WorkerOptions): Promise<void> {
  parseMetricsPort(options.metricsPort);
  const config = loadInstanceConfig(options);
  const services = await openAppServices(config, { logLevel: options.logLevel, processName: 'worker' });
  const { ctx } = services;
  const { registry } = ctx.metrics;
  const metrics = await serveMetrics(options.metricsHost, options.metricsPort, {
    contentType: registry.contentType,
    collect: () => registry.metrics(),
  });
  const workers = startBackgroundWorkers(ctx, options.only);
  // Worker timers do not hold the process up (they are unref'd); without a metrics server nothing
  // else would, and `--metrics-port off` would exit at once.
  const keepAlive = setInterval(() => undefined, 2 ** 30);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    clearInterval(keepAlive);
    ctx.log.info({ signal }, 'stopping workers');
    workers
      .stop()
      .then(() => Promise.all([metrics?.close(), services.close()]))
      .then(
        () => process.exit(0),
        (err: unknown) => {
          ctx.log.error({ err }, 'workers did not stop cleanly');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Announced once the signals are handled: whoever reads this line may stop the process at once.
  if (workers.running.length === 0) {
    // Stay up (serving metrics) rather than exit: a supervisor would only restart the process in a loop.
    console.log('quayside worker: no selected worker is enabled by the configuration; idle until stopped');
  } else {
    console.log(`quayside worker running: ${workers.running.join(', ')} (pid ${process.pid})`);
  }
  ctx.log.info({ workers: workers.running }, 'workers started');
}

export function registerWorkerCommand(program: Command): void {
  withInstanceOptions(program.command('worker').description('run background workers (garbage collection, quotas, notifications, ...)'))
    .option('--only <names>', 'run only these workers, separated by commas (default: all; see --list)', parseWorkerNames)
    .option('--list', 'print the workers and what each does, then exit')
    .option('--log-level <level>', 'pino log level', 'info')
    .option('--metrics-host <address>', 'address the metrics endpoint binds', '0.0.0.0')
    .option('--metrics-port <n>', 'Prometheus metrics port, or "off"', '9091')
    .action(
      action(async (options: WorkerOptions) => {
        if (options.list) {
          printWorkerList();
          return;
        }
        await runWorkers(options);
      }),
    );
}
