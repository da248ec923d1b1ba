import type { FastifyInstance } from 'fastify';
import pino, { type DestinationStream } from 'pino';
import { createLdapDirectory } from './auth/ldap/index.js';
import { createRegistryTokens } from './auth/registry-jwt.js';
import { createSecretBox, resolveDatabaseSecretKey } from './auth/secret-box.js';
import type { QuaysideConfig } from './config/load.js';
import type { AppContext } from './context.js';
import { openMigratedDatabase } from './db/connect.js';
import { collectDatabaseGauges } from './metrics/database-gauges.js';
import { createMetrics } from './metrics/registry.js';
import { DatabaseUsageLogStore, UsageLogs } from './model/usage-logs.js';
import { buildServer } from './server.js';
import type { WebUiOptions } from './web-ui/serve.js';
import { createStorage } from './storage/index.js';

export interface App {
  ctx: AppContext;
  server: FastifyInstance;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  logLevel?: string;
  /** Where log lines go (default: standard output). */
  logDestination?: DestinationStream;
  /** The process_name label of this process's metrics: "serve", "worker" (default "quayside"). */
  processName?: string;
  /** The built web UI's directory, or false for none (default: dist/web). */
  webUi?: WebUiOptions | false;
}

/** Everything a process needs to act on the instance, with or without the HTTP app. */
export interface AppServices {
  ctx: AppContext;
  /** Flushes pending usage logs and closes the connections, in that order. */
  close(): Promise<void>;
}

/**
 * Opens the database (migrating it), the storage locations and the token keys: the one way to build
 * the AppContext, shared by `serve` (through createApp) and `worker`.
 */
export async function openAppServices(config: QuaysideConfig, options: CreateAppOptions = {}): Promise<AppServices> {
  const log = pino(
    { level: options.logLevel ?? 'info', redact: ['req.headers.authorization', 'req.headers.cookie'] },
    options.logDestination,
  );
  const database = await openMigratedDatabase(config.database);
  const storage = createStorage(config.storage);
  const secrets = createSecretBox(resolveDatabaseSecretKey(config));
  const directory = config.AUTHENTICATION_TYPE === 'LDAP' ? createLdapDirectory(config, database.db, { log }) : undefined;
  const tokens = await createRegistryTokens({ db: database.db, config, directory, log });
  const metrics = createMetrics(options.processName === undefined ? {} : { processName: options.processName });
  collectDatabaseGauges(metrics, database.db);
  const usageLogs = new UsageLogs(new DatabaseUsageLogStore(database.db), (err) =>
    log.error({ err }, 'usage log entries could not be written'),
  );
  const ctx: AppContext = {
    config,
    db: database.db,
    dialect: database.dialect,
    storage,
    tokens,
    secrets,
    directory,
    metrics,
    usageLogs,
    log,
  };
  return {
    ctx,
    async close() {
      await usageLogs.flush();
      await tokens.close();
      await directory?.close();
      await storage.close();
      await database.close();
    },
  };
}

/** Opens the instance's services (openAppServices) and builds the HTTP app on them. */
export async function createApp(config: QuaysideConfig, options: CreateAppOptions = {}): Promise<App> {
  const services = await openAppServices(config, options);
  const { ctx } = services;
  const server = await buildServer(ctx, options.webUi === undefined ? {} : { webUi: options.webUi }).catch(async (err: unknown) => {
    await services.close();
    throw err;
  });
  return {
    ctx,
    server,
    async close() {
      await server.close();
      await services.close();
    },
  };
}
