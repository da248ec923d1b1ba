import type { Kysely } from 'kysely';
import type { ColumnTypes } from './column-types.js';

/** Failed sign-in attempts per account, for the back-off after repeated wrong passwords. */
export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .alterTable('namespace')
    .addColumn('invalid_login_attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('namespace').addColumn('last_invalid_login', t.bigint).execute();
}
