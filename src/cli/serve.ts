import type { AddressInfo } from 'node:net';
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { createApp } from '../app.js';
import { openMigratedDatabase } from '../db/connect.js';
import { type BackgroundWorkers, startBackgroundWorkers } from '../workers/index.js';
import { type MetricsServer, type MetricsSource, startMetricsServer } from '../metrics/server.js';
import { action, fail, loadInstanceConfig, withInstanceOptions } from './common.js';

interface ServeOptions {
  configDir?: string;
  dataDir?: string;
  port: string;
  host: string;
  processes?: string;
  logLevel: string;
  metricsPort: string;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, got "${text}"`);
  return port;
}

function parseProcesses(text: string | undefined): number {
  if (text === undefined) return availableParallelism();
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--processes must be a positive integer, got "${text}"`);
  return count;
}

/** `--metrics-port`: a port number, or "off". */
function parseMetricsPort(text: string): number | undefined {
  return text === 'off' ? undefined : parsePort(text);
}

/**
 * Starts the Prometheus endpoint. A taken port is reported but does not stop the registry: metrics
 * matter less than serving pulls.
 */
async function serveMetrics(options: ServeOptions, source: MetricsSource): Promise<MetricsServer | undefined> {
  const port = parseMetricsPort(options.metricsPort);
  if (port === undefined) return undefined;
  try {
    const server = await startMetricsServer(source, options.host, port);
    const shown = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
    console.log(`quayside metrics on http://${shown}:${server.port}/metrics`);
    return server;
  } catch (err) {
    console.error(`quayside: cannot serve metrics on port ${port}: ${(err as Error).message}`);
    return undefined;
  }
}

/** In a cluster worker: lets the primary collect this process's metrics for its aggregated endpoint. */
function answerPrimaryMetricsRequests(registry: Registry): void {
  // Constructing an AggregatorRegistry is what installs prom-client's listener in a worker.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
}

function announce(host: string, port: number): void {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  console.log(`quayside listening on http://${shown}:${port}`);
}

/** One HTTP process: opens everything, listens, and closes cleanly on SIGTERM/SIGINT. */
async function runHttpProcess(options: ServeOptions, onListening: (port: number) => void): Promise<void> {
  const config = loadInstanceConfig(options);
  const app = await createApp(config, { logLevel: options.logLevel });
  const { registry } = app.ctx.metrics;
  // Cluster workers answer the primary's aggregation requests; a single process serves its own.
  let metrics: MetricsServer | undefined;
  if (cluster.isWorker) answerPrimaryMetricsRequests(registry);
  else metrics = await serveMetrics(options, { contentType: registry.contentType, collect: () => registry.metrics() });
  // One process runs the background workers: this one when alone, else the worker the primary picks.
  let workers: BackgroundWorkers | undefined;
  if (cluster.isWorker) {
    process.on('message', (message: { runBackgroundWorkers?: boolean }) => {
      if (message.runBackgroundWorkers && !workers) workers = startBackgroundWorkers(app.ctx);
    });
  } else {
    workers = startBackgroundWorkers(app.ctx);
  }
  await app.server.listen({ host: options.host, port: parsePort(options.port) });
  onListening((app.server.server.address() as AddressInfo).port);
  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    Promise.all([workers?.stop(), app.close(), metrics?.close()]).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
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
  await serveMetrics(options, { contentType: aggregator.contentType, collect: () => aggregator.clusterMetrics() });
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
