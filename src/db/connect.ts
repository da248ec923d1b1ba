import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config/load.js';
import type { Dialect } from './migrations/column-types.js';
import { migrateToLatest } from './migrate.js';
import type { Database } from './tables.js';

// int8 columns (ids, sizes, millisecond timestamps) stay well inside Number's safe range.
pg.types.setTypeParser(20, (value) => Number.parseInt(value, 10));

export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: Dialect;
  close(): Promise<void>;
}

function pgPoolOptions(uri: string, args: Record<string, unknown>): pg.PoolConfig {
  const options: pg.PoolConfig = { connectionString: uri, max: 10 };
  if (typeof args['max_connections'] === 'number') options.max = args['max_connections'];
  if (typeof args['sslmode'] === 'string' && args['sslmode'] !== 'disable') {
    options.ssl = { rejectUnauthorized: args['sslmode'] === 'verify-full' };
  }
  return options;
}

export function openDatabase(config: DatabaseConfig): DatabaseHandle {
  if (config.kind === 'sqlite') {
    mkdirSync(path.dirname(config.path), { recursive: true });
    const sqlite = new SQLite(config.path);
    sqlite.pragma('journal_mode = WAL');
    // FULL: a transaction the client was told about survives power loss, not just a process crash.
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 10000');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  const pool = new pg.Pool(pgPoolOptions(config.uri, config.connectionArgs));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

export async function openMigratedDatabase(config: DatabaseConfig): Promise<DatabaseHandle> {
  const handle = openDatabase(config);
  try {
    await migrateToLatest(handle.db as unknown as Kysely<unknown>, handle.dialect);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}
