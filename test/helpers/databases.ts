import { randomBytes } from 'node:crypto';
import pg from 'pg';

export type TestDialect = 'sqlite' | 'postgres';

/**
 * The dialects integration tests run on. SQLite always; PostgreSQL when QUAYSIDE_TEST_PG names a
 * server (CI sets it). Under CI=true a missing QUAYSIDE_TEST_PG is an error, not a skip.
 */
export function testDialects(): TestDialect[] {
  if (process.env['QUAYSIDE_TEST_PG']) return ['sqlite', 'postgres'];
  if (process.env['CI'] === 'true') {
    throw new Error('CI=true but QUAYSIDE_TEST_PG is not set: PostgreSQL tests cannot be skipped in CI');
  }
  console.warn('QUAYSIDE_TEST_PG not set: SKIPPING the PostgreSQL variant of the database tests');
  return ['sqlite'];
}

/** Creates an empty PostgreSQL database for one test and returns its URI and a dropper. */
export async function createPostgresDatabase(): Promise<{ uri: string; drop(): Promise<void> }> {
  const base = process.env['QUAYSIDE_TEST_PG'];
  if (!base) throw new Error('QUAYSIDE_TEST_PG is not set');
  const name = `quayside_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    uri: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
