import type { Kysely } from 'kysely';
import type { ColumnTypes } from './column-types.js';

/**
 * The tag history API: the reversion flag, and the index behind its listing. It lists a repository's tags newest first, page by page. This index follows
 * that order and covers its filters (hidden, liveness), so a page reads index entries only: the
 * first page costs the same at 100 or 100,000 tags, and deep pages skip index entries, not rows.
 */
export async function up(db: Kysely<unknown>, _t: ColumnTypes): Promise<void> {
  // Quay's Tag.reversion: 1 on a row the time machine created by restoring an earlier manifest.
  await db.schema.alterTable('tag').addColumn('reversion', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema
    .createIndex('tag_history_by_start')
    .on('tag')
    .columns(['repository_id', 'lifetime_start_ms desc', 'name', 'id desc', 'hidden', 'lifetime_end_ms', 'expires_at_ms'])
    .execute();
}
