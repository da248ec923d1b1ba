import { type Kysely, sql } from 'kysely';
import type { ColumnTypes } from './column-types.js';

/**
 * Garbage collection: when each manifest was last PUT (a manifest pushed by digest is kept for
 * PUSH_TEMP_TAG_EXPIRATION_SEC after that, so an index's children survive until the index
 * arrives), and the indexes behind the GC worker's searches.
 */
export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema.alterTable('manifest').addColumn('pushed_at', t.bigint, (c) => c.notNull().defaultTo(0)).execute();
  await sql`update manifest set pushed_at = created_at`.execute(db);
  await db.schema.createIndex('manifest_pushed_at').on('manifest').column('pushed_at').execute();
  // The global sweep of expired upload and mount links.
  await db.schema.createIndex('repository_blob_expires_at').on('repository_blob').column('expires_at').execute();
  // An upload or mount into a repository whose link is already permanent still holds the blob for
  // PUSH_TEMP_TAG_EXPIRATION_SEC, should the manifests behind the permanent link go meanwhile.
  await db.schema.alterTable('repository_blob').addColumn('hold_until', t.bigint).execute();
  // Repositories with tags past the time machine: ended rows, and live rows that expired.
  await db.schema
    .createIndex('tag_lifetime_end')
    .on('tag')
    .column('lifetime_end_ms')
    .where(sql.ref('lifetime_end_ms'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('tag_expiring')
    .on('tag')
    .column('expires_at_ms')
    .where(sql.ref('lifetime_end_ms'), 'is', null)
    .execute();
}
