import type { Kysely } from 'kysely';
import type { ColumnTypes } from './column-types.js';

/**
 * Quay's identity model: robots, teams and their members, repository permissions, default
 * permissions (prototypes), app-specific tokens, UI sessions, federated logins (LDAP), the durable
 * queue, and the mirror robot a MIRROR repository accepts writes from.
 */
export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema.alterTable('namespace').addColumn('deleted_at', t.bigint).execute();
  await db.schema.alterTable('namespace').addColumn('last_accessed', t.bigint).execute();
  await db.schema.createIndex('namespace_email').on('namespace').column('email').execute();

  await db.schema
    .createTable('robot')
    .addColumn('namespace_id', 'integer', (c) => c.primaryKey().references('namespace.id').onDelete('cascade'))
    .addColumn('owner_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('unstructured_metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('token_encrypted', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('robot_owner').on('robot').column('owner_id').execute();

  await db.schema
    .createTable('team')
    .addColumn('id', t.idType, t.id)
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('name', t.name, (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addUniqueConstraint('team_organization_name', ['organization_id', 'name'])
    .execute();

  await db.schema
    .createTable('team_member')
    .addColumn('team_id', 'integer', (c) => c.notNull().references('team.id').onDelete('cascade'))
    .addColumn('member_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('team_member_pk', ['team_id', 'member_id'])
    .execute();
  await db.schema.createIndex('team_member_member').on('team_member').column('member_id').execute();

  await db.schema
    .createTable('team_invite')
    .addColumn('id', t.idType, t.id)
    .addColumn('team_id', 'integer', (c) => c.notNull().references('team.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.references('namespace.id').onDelete('cascade'))
    .addColumn('email', 'text')
    .addColumn('inviter_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('token', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('team_invite_team').on('team_invite').column('team_id').execute();

  await db.schema
    .createTable('team_sync')
    .addColumn('team_id', 'integer', (c) => c.primaryKey().references('team.id').onDelete('cascade'))
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('transaction_id', 'text')
    .addColumn('last_updated', t.bigint)
    .execute();

  await db.schema
    .createTable('repository_permission')
    .addColumn('id', t.idType, t.id)
    .addColumn('repository_id', 'integer', (c) => c.notNull().references('repository.id').onDelete('cascade'))
    .addColumn('member_id', 'integer', (c) => c.references('namespace.id').onDelete('cascade'))
    .addColumn('team_id', 'integer', (c) => c.references('team.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addUniqueConstraint('repository_permission_member', ['repository_id', 'member_id'])
    .addUniqueConstraint('repository_permission_team', ['repository_id', 'team_id'])
    .execute();
  await db.schema.createIndex('repository_permission_member_id').on('repository_permission').column('member_id').execute();
  await db.schema.createIndex('repository_permission_team_id').on('repository_permission').column('team_id').execute();

  await db.schema
    .createTable('default_permission')
    .addColumn('id', t.idType, t.id)
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('organization_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('activating_user_id', 'integer', (c) => c.references('namespace.id').onDelete('cascade'))
    .addColumn('delegate_member_id', 'integer', (c) => c.references('namespace.id').onDelete('cascade'))
    .addColumn('delegate_team_id', 'integer', (c) => c.references('team.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('default_permission_organization').on('default_permission').column('organization_id').execute();

  await db.schema
    .createTable('app_token')
    .addColumn('id', t.idType, t.id)
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('token_name', 'text', (c) => c.notNull().unique())
    .addColumn('token_secret_encrypted', 'text', (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('expires_at', t.bigint)
    .addColumn('last_accessed', t.bigint)
    .execute();
  await db.schema.createIndex('app_token_user').on('app_token').column('user_id').execute();

  await db.schema.alterTable('oauth_application').addColumn('client_secret_encrypted', 'text').execute();
  await db.schema.alterTable('oauth_application').addColumn('avatar_email', 'text').execute();

  await db.schema
    .createTable('user_session')
    .addColumn('id', t.idType, t.id)
    .addColumn('token_name', 'text', (c) => c.notNull().unique())
    .addColumn('token_secret_hash', 'text', (c) => c.notNull())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('csrf_token', 'text', (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addColumn('login_at', t.bigint, (c) => c.notNull())
    .addColumn('expires_at', t.bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('user_session_user').on('user_session').column('user_id').execute();

  await db.schema
    .createTable('federated_login')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('service_ident', 'text', (c) => c.notNull())
    .addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}'))
    .addPrimaryKeyConstraint('federated_login_pk', ['service', 'service_ident'])
    .execute();
  await db.schema.createIndex('federated_login_user').on('federated_login').column('user_id').execute();

  await db.schema
    .createTable('queue_item')
    .addColumn('id', t.idType, t.id)
    .addColumn('queue_name', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('available_after', t.bigint, (c) => c.notNull())
    .addColumn('processing_expires', t.bigint)
    .addColumn('retries_remaining', 'integer', (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('queue_item_ready')
    .on('queue_item')
    .columns(['queue_name', 'available_after'])
    .execute();

  await db.schema
    .createTable('repo_mirror_config')
    .addColumn('repository_id', 'integer', (c) => c.primaryKey().references('repository.id').onDelete('cascade'))
    .addColumn('internal_robot_id', 'integer', (c) => c.references('namespace.id').onDelete('set null'))
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .execute();
}
