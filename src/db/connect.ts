import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, type SqliteDatabase, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config/load.js';
import type { Dialect } from './migrations/column-types.js';
import { migrateToLatest } from './migrate.js';
import { preparingPool } from './pg-prepared.js';
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

const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query anew; compiling the same SQL on each request showed up as a sixth of
 * a manifest GET. Statements are reusable in better-sqlite3, so keep them by SQL text.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement) {
        if (statements.size >= STATEMENT_CACHE_SIZE) statements.clear();
        statement = sqlite.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
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
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  const pool = new pg.Pool(pgPoolOptions(config.uri, config.connectionArgs));
  // An idle pooled connection the server closes (restart, failover, terminated backend) must not
  // crash the process: the pool drops it and the next query opens a new one.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
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
