import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createRegistryTokens } from './auth/registry-jwt.js';
import type { QuaysideConfig } from './config/load.js';
import type { AppContext } from './context.js';
import { openMigratedDatabase } from './db/connect.js';
import { buildServer } from './server.js';
import { createStorage } from './storage/index.js';

export interface App {
  ctx: AppContext;
  server: FastifyInstance;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  logLevel?: string;
}

/** Opens the database (migrating it), the storage locations and the token keys, and builds the HTTP app. */
export async function createApp(config: QuaysideConfig, options: CreateAppOptions = {}): Promise<App> {
  const log = pino({ level: options.logLevel ?? 'info', redact: ['req.headers.authorization', 'req.headers.cookie'] });
  const database = await openMigratedDatabase(config.database);
  const storage = createStorage(config.storage);
  const tokens = await createRegistryTokens({ db: database.db, config, log });
  const ctx: AppContext = { config, db: database.db, dialect: database.dialect, storage, tokens, log };
  const server = await buildServer(ctx);
  return {
    ctx,
    server,
    async close() {
      await server.close();
      await tokens.close();
      await storage.close();
      await database.close();
    },
  };
}
