import type { AddressInfo } from 'node:net';
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { type App, createApp } from '../app.js';
import { openMigratedDatabase } from '../db/connect.js';
import type { MetricsServer } from '../metrics/server.js';
import { type BackgroundWorkers, startBackgroundWorkers } from '../workers/index.js';
import { action, fail, loadInstanceConfig, withInstanceOptions } from './common.js';
import { parseMetricsPort, parsePort, serveMetrics, shownHost } from './metrics-endpoint.js';
import { parseServeWorkers } from './worker-selection.js';

interface ServeOptions {
  configDir?: string;
  dataDir?: string;
  port: string;
  host: string;
  processes?: string;
  logLevel: string;
  metricsPort: string;
  /** The background workers to run: undefined for all, [] for none (--workers). */
  workers: string[] | undefined;
}

function parseProcesses(text: string | undefined): number {
  if (text === undefined) return availableParallelism();
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--processes must be a positive integer, got "${text}"`);
  return count;
}

/** In a cluster worker: lets the primary collect this process's metrics for its aggregated endpoint. */
function answerPrimaryMetricsRequests(registry: Registry): void {
  // Constructing an AggregatorRegistry is what installs prom-client's listener in a worker.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

function announce(host: string, port: number): void {
  console.log(`quayside listening on http://${shownHost(host)}:${port}`);
}

/** Starts the background workers --workers selects, and says which run. */
function startSelectedWorkers(app: App, options: ServeOptions): BackgroundWorkers {
  const workers = startBackgroundWorkers(app.ctx, options.workers);
  app.ctx.log.info({ workers: workers.running }, `background workers: ${workers.running.join(', ') || 'none'}`);
  return workers;
}

/** One HTTP process: opens everything, listens, and closes cleanly on SIGTERM/SIGINT. */
async function runHttpProcess(options: ServeOptions, onListening: (port: number) => void): Promise<void> {
  const config = loadInstanceConfig(options);
  const app = await createApp(config, { logLevel: options.logLevel, processName: 'serve' });
  const { registry } = app.ctx.metrics;
  // Cluster workers answer the primary's aggregation requests; a single process serves its own.
  let metrics: MetricsServer | undefined;
  if (cluster.isWorker) answerPrimaryMetricsRequests(registry);
  else metrics = await serveMetrics(options.host, options.metricsPort, { contentType: registry.contentType, collect: () => registry.metrics() });
  // One process runs the background workers: this one when alone, else the worker the primary picks.
  let workers: BackgroundWorkers | undefined;
  if (cluster.isWorker) {
    process.on('message', (message: { runBackgroundWorkers?: boolean }) => {
      if (message.runBackgroundWorkers && !workers) workers = startSelectedWorkers(app, options);
    });
  } else {
    workers = startSelectedWorkers(app, options);
  }
  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    Promise.all([workers?.stop(), app.close(), metrics?.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // Before announcing: whoever reads the announcement may signal at once.
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  await app.server.listen({ host: options.host, port: parsePort(options.port) });
  onListening((app.server.server.address() as AddressInfo).port);
}

async function runPrimary(options: ServeOptions, processes: number): Promise<void> {
  // Migrate once here so the workers do not race each other at start.
  const config = loadInstanceConfig(options);
  const database = await openMigratedDatabase(config.database);
  await database.close();
  let announced = false;
  let stopping = false;
  let backgroundHost: Worker | undefined;
  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (message: { listening?: number }) => {
      if (typeof message.listening !== 'number') return;
      if (!announced) {
        announced = true;
        announce(options.host, message.listening);
      }
      if (!backgroundHost || backgroundHost.isDead()) {
        backgroundHost = worker;
        worker.send({ runBackgroundWorkers: true });
      }
    });
  };
  const aggregator = new AggregatorRegistry();
  await serveMetrics(options.host, options.metricsPort, { contentType: aggregator.contentType, collect: () => aggregator.clusterMetrics() });
  for (let i = 0; i < processes; i++) fork();
  cluster.on('exit', () => {
    // Any exit while not stopping is unexpected (even code 0): replace the worker.
    if (!stopping) fork();
    if (stopping && Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  });
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

export function registerServeCommand(program: Command): void {
  withInstanceOptions(program.command('serve').description('run the registry, REST API and UI'))
    .option('--port <n>', 'port to listen on', '8080')
    .option('--host <address>', 'address to bind', '0.0.0.0')
    .option('--processes <n>', 'HTTP worker processes (default: CPU count; 1 = no forking)')
    .option('--log-level <level>', 'pino log level', 'info')
    .option('--metrics-port <n>', 'Prometheus metrics port, or "off"', '9091')
    .option(
      '--workers <names>',
      'background workers to run in this process: "all", "none" (scale-out replicas that only serve HTTP, next to `quayside worker`), or names separated by commas (see `quayside worker --list`)',
      parseServeWorkers,
      undefined,
    )
    .action(
      action(async (options: ServeOptions) => {
        parsePort(options.port);
        parseMetricsPort(options.metricsPort);
        const processes = parseProcesses(options.processes);
        if (cluster.isWorker) {
          // The primary exits without telling us when killed: follow it.
          process.on('disconnect', () => process.exit(1));
          await runHttpProcess(options, (port) => process.send?.({ listening: port })).catch(fail);
          return;
        }
        if (processes === 1) {
          await runHttpProcess(options, (port) => announce(options.host, port));
          return;
        }
        await runPrimary(options, processes);
      }),
    );
}
