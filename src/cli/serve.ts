import type { AddressInfo } from 'node:net';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { createApp } from '../app.js';
import { openMigratedDatabase } from '../db/connect.js';
import { action, fail, loadInstanceConfig, withInstanceOptions } from './common.js';

interface ServeOptions {
  configDir?: string;
  dataDir?: string;
  port: string;
  host: string;
  processes?: string;
  logLevel: string;
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

function announce(host: string, port: number): void {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  console.log(`quayside listening on http://${shown}:${port}`);
}

/** One HTTP process: opens everything, listens, and closes cleanly on SIGTERM/SIGINT. */
async function runHttpProcess(options: ServeOptions, onListening: (port: number) => void): Promise<void> {
  const config = loadInstanceConfig(options);
  const app = await createApp(config, { logLevel: options.logLevel });
  await app.server.listen({ host: options.host, port: parsePort(options.port) });
  onListening((app.server.server.address() as AddressInfo).port);
  let closing = false;
  const shutdown = () => {
    if (closing) return;
    closing = true;
    app.close().then(
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
  const fork = () => {
    const worker = cluster.fork();
    worker.on('message', (message: { listening?: number }) => {
      if (typeof message.listening === 'number' && !announced) {
        announced = true;
        announce(options.host, message.listening);
      }
    });
  };
  for (let i = 0; i < processes; i++) fork();
  cluster.on('exit', (_worker, code) => {
    if (!stopping && code !== 0) fork();
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
    .action(
      action(async (options: ServeOptions) => {
        parsePort(options.port);
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
