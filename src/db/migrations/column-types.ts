import { type ColumnDefinitionBuilder, type RawBuilder, sql } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/** The few column types that differ between SQLite and PostgreSQL. */
export interface ColumnTypes {
  dialect: Dialect;
  /** Auto-incrementing integer primary key. */
  id: (col: ColumnDefinitionBuilder) => ColumnDefinitionBuilder;
  idType: 'integer' | 'bigserial';
  bigint: 'integer' | 'bigint';
  bytes: 'blob' | 'bytea';
  /** Text compared and sorted bytewise (as SQLite always does), for names listed in order. */
  name: RawBuilder<unknown> | 'text';
}

export function columnTypes(dialect: Dialect): ColumnTypes {
  return dialect === 'sqlite'
    ? { dialect, id: (c) => c.primaryKey().autoIncrement(), idType: 'integer', bigint: 'integer', bytes: 'blob', name: 'text' }
    : { dialect, id: (c) => c.primaryKey(), idType: 'bigserial', bigint: 'bigint', bytes: 'bytea', name: sql`text collate "C"` };
}
