import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import { createSecretBox, type SecretBox } from '../../src/auth/secret-box.js';
import { loadConfig, type QuaysideConfig } from '../../src/config/load.js';
import { openMigratedDatabase } from '../../src/db/connect.js';
import type { Dialect } from '../../src/db/migrations/column-types.js';
import type { Database } from '../../src/db/tables.js';
import { createMetrics, type Metrics } from '../../src/metrics/registry.js';
import { createPostgresDatabase, type TestDialect } from '../helpers/databases.js';

/** A freshly migrated database (SQLite file or PostgreSQL database) and a config pointing at it. */
export interface TestDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
  config: QuaysideConfig;
  dataDir: string;
  /** The DB_URI to put in a config.yaml for this database (undefined for SQLite). */
  dbUri: string | undefined;
  secrets: SecretBox;
  metrics: Metrics;
  close(): Promise<void>;
}

export async function openTestDatabase(dialect: TestDialect, overrides: Record<string, unknown> = {}): Promise<TestDatabase> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'quayside-auth-'));
  const allOverrides = { ...overrides };
  let drop: (() => Promise<void>) | undefined;
  let dbUri: string | undefined;
  if (dialect === 'postgres') {
    const database = await createPostgresDatabase();
    dbUri = database.uri;
    allOverrides['DB_URI'] = database.uri;
    drop = database.drop;
  }
  const config = loadConfig({ dataDir, overrides: allOverrides, env: {} });
  const handle = await openMigratedDatabase(config.database);
  return {
    db: handle.db,
    dialect: handle.dialect,
    config,
    dataDir,
    dbUri,
    secrets: createSecretBox('test database secret key'),
    metrics: createMetrics(),
    async close() {
      await handle.close();
      await drop?.();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
