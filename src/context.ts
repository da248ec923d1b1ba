import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { RegistryTokens } from './auth/tokens.js';
import type { QuaysideConfig } from './config/load.js';
import type { Dialect } from './db/migrations/column-types.js';
import type { Database } from './db/tables.js';
import type { Storage } from './storage/storage.js';

/** What every HTTP surface and worker receives: configuration and the shared services. */
export interface AppContext {
  config: QuaysideConfig;
  db: Kysely<Database>;
  dialect: Dialect;
  storage: Storage;
  tokens: RegistryTokens;
  log: Logger;
}
