import type { Kysely } from 'kysely';
import type { ColumnTypes } from './column-types.js';

/** Superuser flag on accounts, and OAuth applications with their access tokens. */
export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .alterTable('namespace')
    .addColumn('superuser', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('oauth_application')
    .addColumn('id', t.idType, t.id)
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('namespace_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('application_uri', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('redirect_uri', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth_application_namespace').on('oauth_application').column('namespace_id').execute();

  await db.schema
    .createTable('oauth_access_token')
    .addColumn('id', t.idType, t.id)
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('application_id', 'integer', (c) =>
      c.notNull().references('oauth_application.id').onDelete('cascade'),
    )
    .addColumn('namespace_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('token_name', 'text', (c) => c.notNull().unique())
    .addColumn('token_secret_hash', 'text', (c) => c.notNull())
    .addColumn('expires_at', t.bigint)
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth_access_token_namespace').on('oauth_access_token').column('namespace_id').execute();
  await db.schema
    .createIndex('oauth_access_token_application')
    .on('oauth_access_token')
    .column('application_id')
    .execute();
}
