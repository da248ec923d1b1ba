import { createHash } from 'node:crypto';
import type { PostgresPool, PostgresPoolClient } from 'kysely';
import type pg from 'pg';

/**
 * PostgreSQL plans every unnamed query anew, and with the tag table's several indexes planning was
 * half the cost of a manifest GET by tag. Giving a statement a name makes the `pg` client prepare
 * it once per connection; after a few executions PostgreSQL reuses a generic plan. Only data
 * statements are named (a DDL statement cannot be prepared), and only the first
 * MAX_NAMED_STATEMENTS distinct texts, so that statements whose text varies (IN lists of every
 * length) cannot pile up prepared statements on the server.
 */
const MAX_NAMED_STATEMENTS = 400;
const DATA_STATEMENT = /^\s*(?:select|insert|update|delete|with)\b/i;

class StatementNames {
  private readonly names = new Map<string, string>();

  nameFor(text: string): string | undefined {
    const known = this.names.get(text);
    if (known !== undefined || this.names.size >= MAX_NAMED_STATEMENTS || !DATA_STATEMENT.test(text)) return known;
    const name = `q${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    this.names.set(text, name);
    return name;
  }
}

function preparingClient(client: pg.PoolClient, names: StatementNames): PostgresPoolClient {
  return {
    // biome-ignore lint/suspicious/noExplicitAny: Kysely's client interface overloads query for cursors
    query(textOrCursor: any, parameters?: ReadonlyArray<unknown>): any {
      if (typeof textOrCursor !== 'string') return client.query(textOrCursor);
      const name = names.nameFor(textOrCursor);
      const values = parameters ? [...parameters] : [];
      return name === undefined ? client.query(textOrCursor, values) : client.query({ name, text: textOrCursor, values });
    },
    release: () => client.release(),
  };
}

/** The pool as Kysely sees it, with frequently used statements prepared by name. */
export function preparingPool(pool: pg.Pool): PostgresPool {
  const names = new StatementNames();
  return {
    connect: async () => preparingClient(await pool.connect(), names),
    end: () => pool.end(),
  };
}
