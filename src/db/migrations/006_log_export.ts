import type { Kysely } from 'kysely';
import type { ColumnTypes } from './column-types.js';

/**
 * Exported usage logs (Quay's exportactionlogs worker): each export is a JSON document kept as a
 * blob in storage; this table maps the unguessable file id of its download URL to that blob.
 */
export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('log_export')
    .addColumn('id', t.idType, t.id)
    .addColumn('export_id', 'text', (c) => c.notNull())
    .addColumn('file_id', 'text', (c) => c.notNull().unique())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('size', t.bigint, (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('expires_at', t.bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('log_export_export_id').on('log_export').column('export_id').execute();
}
