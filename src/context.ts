import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { UserDirectory } from './auth/directory.js';
import type { SecretBox } from './auth/secret-box.js';
import type { RegistryTokens } from './auth/tokens.js';
import type { QuaysideConfig } from './config/load.js';
import type { Dialect } from './db/migrations/column-types.js';
import type { Database } from './db/tables.js';
import type { Metrics } from './metrics/registry.js';
import type { UsageLogs } from './model/usage-logs.js';
import type { Storage } from './storage/storage.js';

/** What every HTTP surface and worker receives: configuration and the shared services. */
export interface AppContext {
  config: QuaysideConfig;
  db: Kysely<Database>;
  dialect: Dialect;
  storage: Storage;
  tokens: RegistryTokens;
  /** Encrypts secrets kept in the database (DATABASE_SECRET_KEY). */
  secrets: SecretBox;
  /** The external user directory when AUTHENTICATION_TYPE is LDAP. */
  directory?: UserDirectory | undefined;
  metrics: Metrics;
  /** Usage logs (Quay's action logs), written by every action. */
  usageLogs: UsageLogs;
  log: Logger;
}
