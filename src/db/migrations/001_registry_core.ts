import { type Kysely, sql } from 'kysely';
import type { ColumnTypes } from './column-types.js';

export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('namespace')
    .addColumn('id', t.idType, t.id)
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('name', t.name, (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('removed_tag_expiration_s', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('repository')
    .addColumn('id', t.idType, t.id)
    .addColumn('namespace_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('name', t.name, (c) => c.notNull())
    .addColumn('visibility', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('NORMAL'))
    .addColumn('description', 'text')
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addUniqueConstraint('repository_namespace_name', ['namespace_id', 'name'])
    .execute();

  await db.schema
    .createTable('blob')
    .addColumn('id', t.idType, t.id)
    .addColumn('digest', 'text', (c) => c.notNull().unique())
    .addColumn('size', t.bigint, (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('blob_placement')
    .addColumn('blob_id', 'integer', (c) => c.notNull().references('blob.id').onDelete('cascade'))
    .addColumn('location', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_placement_pk', ['blob_id', 'location'])
    .execute();

  await db.schema
    .createTable('repository_blob')
    .addColumn('repository_id', 'integer', (c) => c.notNull().references('repository.id').onDelete('cascade'))
    .addColumn('blob_id', 'integer', (c) => c.notNull().references('blob.id'))
    .addColumn('expires_at', t.bigint)
    .addPrimaryKeyConstraint('repository_blob_pk', ['repository_id', 'blob_id'])
    .execute();
  await db.schema.createIndex('repository_blob_blob').on('repository_blob').column('blob_id').execute();

  await db.schema
    .createTable('manifest')
    .addColumn('id', t.idType, t.id)
    .addColumn('repository_id', 'integer', (c) => c.notNull().references('repository.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('artifact_type', 'text')
    .addColumn('config_media_type', 'text')
    .addColumn('subject_digest', 'text')
    .addColumn('size', t.bigint, (c) => c.notNull())
    .addColumn('layers_size', t.bigint)
    .addColumn('content', t.bytes, (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('deleted_at', t.bigint)
    .addUniqueConstraint('manifest_repository_digest', ['repository_id', 'digest'])
    .execute();
  await db.schema
    .createIndex('manifest_subject')
    .on('manifest')
    .columns(['repository_id', 'subject_digest'])
    .execute();

  await db.schema
    .createTable('manifest_blob')
    .addColumn('manifest_id', 'integer', (c) => c.notNull().references('manifest.id').onDelete('cascade'))
    .addColumn('blob_id', 'integer', (c) => c.notNull().references('blob.id'))
    .addPrimaryKeyConstraint('manifest_blob_pk', ['manifest_id', 'blob_id'])
    .execute();
  await db.schema.createIndex('manifest_blob_blob').on('manifest_blob').column('blob_id').execute();

  await db.schema
    .createTable('manifest_child')
    .addColumn('manifest_id', 'integer', (c) => c.notNull().references('manifest.id').onDelete('cascade'))
    .addColumn('child_manifest_id', 'integer', (c) => c.notNull().references('manifest.id'))
    .addPrimaryKeyConstraint('manifest_child_pk', ['manifest_id', 'child_manifest_id'])
    .execute();
  await db.schema.createIndex('manifest_child_child').on('manifest_child').column('child_manifest_id').execute();

  await db.schema
    .createTable('tag')
    .addColumn('id', t.idType, t.id)
    .addColumn('repository_id', 'integer', (c) => c.notNull().references('repository.id').onDelete('cascade'))
    .addColumn('name', t.name, (c) => c.notNull())
    .addColumn('manifest_id', 'integer', (c) => c.notNull().references('manifest.id'))
    .addColumn('lifetime_start_ms', t.bigint, (c) => c.notNull())
    .addColumn('lifetime_end_ms', t.bigint)
    .addColumn('hidden', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('tag_live_name')
    .on('tag')
    .columns(['repository_id', 'name'])
    .unique()
    .where(sql.ref('lifetime_end_ms'), 'is', null)
    .execute();
  await db.schema.createIndex('tag_manifest').on('tag').column('manifest_id').execute();

  await db.schema
    .createTable('upload')
    .addColumn('uuid', 'text', (c) => c.primaryKey())
    .addColumn('repository_id', 'integer', (c) => c.notNull().references('repository.id').onDelete('cascade'))
    .addColumn('byte_count', t.bigint, (c) => c.notNull())
    .addColumn('chunk_count', 'integer', (c) => c.notNull())
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('storage_metadata', 'text')
    .addColumn('hashed_bytes', t.bigint)
    .addColumn('hashed_digest', 'text')
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('updated_at', t.bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('service_key')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('expires_at', t.bigint)
    .execute();
}
