import { PostgresAdapter } from 'kysely';

/** Anything Kysely runs statements through: a Kysely instance or a transaction. */
interface HasExecutor {
  getExecutor(): { adapter: unknown };
}

/**
 * Whether a connection or transaction talks to PostgreSQL, for the statements only it has (row
 * locks, advisory locks). Model functions that receive a transaction use this instead of asking
 * every caller for the dialect.
 */
export function onPostgres(db: HasExecutor): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}
