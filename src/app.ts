import type { FastifyInstance } from 'fastify';
import pino, { type DestinationStream } from 'pino';
import { createLdapDirectory } from './auth/ldap/index.js';
import { createRegistryTokens } from './auth/registry-jwt.js';
import { createSecretBox, resolveDatabaseSecretKey } from './auth/secret-box.js';
import type { QuaysideConfig } from './config/load.js';
import type { AppContext } from './context.js';
import { openMigratedDatabase } from './db/connect.js';
import { createMetrics } from './metrics/registry.js';
import { DatabaseUsageLogStore, UsageLogs } from './model/usage-logs.js';
import { buildServer } from './server.js';
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
}

/** Opens the database (migrating it), the storage locations and the token keys, and builds the HTTP app. */
export async function createApp(config: QuaysideConfig, options: CreateAppOptions = {}): Promise<App> {
  const log = pino(
    { level: options.logLevel ?? 'info', redact: ['req.headers.authorization', 'req.headers.cookie'] },
    options.logDestination,
  );
  const database = await openMigratedDatabase(config.database);
  const storage = createStorage(config.storage);
  const secrets = createSecretBox(resolveDatabaseSecretKey(config));
  const directory = config.AUTHENTICATION_TYPE === 'LDAP' ? createLdapDirectory(config, database.db, { log }) : undefined;
  const tokens = await createRegistryTokens({ db: database.db, config, directory, log });
  const metrics = createMetrics();
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
  const server = await buildServer(ctx);
  return {
    ctx,
    server,
    async close() {
      await server.close();
      await usageLogs.flush();
      await tokens.close();
      await directory?.close();
      await storage.close();
      await database.close();
    },
  };
}
