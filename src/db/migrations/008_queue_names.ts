import { type Kysely, sql } from 'kysely';
import type { ColumnTypes } from './column-types.js';

/** Queue items take Quay's queue names (namespacegc, repositorygc), so metrics read as in Quay. */
export async function up(db: Kysely<unknown>, _t: ColumnTypes): Promise<void> {
  await sql`update queue_item set queue_name = 'namespacegc' where queue_name = 'namespace_gc'`.execute(db);
  await sql`update queue_item set queue_name = 'repositorygc' where queue_name = 'repository_gc'`.execute(db);
}
