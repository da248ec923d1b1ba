import { type Kysely, sql } from 'kysely';
import type { ColumnTypes } from './column-types.js';

/**
 * What Quay's REST API adds on top of the registry and identity: tag expiry, manifest labels,
 * stars, usage logs, repository notifications and in-app notifications, global messages, and the
 * service-key fields the superuser panel manages.
 */
export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  // A live tag (lifetime_end_ms NULL) with expires_at_ms in the past counts as ended at that time.
  await db.schema.alterTable('tag').addColumn('expires_at_ms', t.bigint).execute();
  await db.schema.createIndex('tag_history').on('tag').columns(['repository_id', 'name', 'lifetime_start_ms']).execute();

  await db.schema
    .createTable('manifest_label')
    .addColumn('id', t.idType, t.id)
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('manifest_id', 'integer', (c) => c.notNull().references('manifest.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('manifest_label_manifest').on('manifest_label').column('manifest_id').execute();

  await db.schema
    .createTable('star')
    .addColumn('user_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('repository_id', 'integer', (c) => c.notNull().references('repository.id').onDelete('cascade'))
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('star_pk', ['user_id', 'repository_id'])
    .execute();
  await db.schema.createIndex('star_repository').on('star').column('repository_id').execute();

  // Usage logs. No foreign keys: entries outlive the accounts and repositories they mention.
  await db.schema
    .createTable('log_entry')
    .addColumn('id', t.idType, t.id)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('account_id', 'integer')
    .addColumn('performer_id', 'integer')
    .addColumn('repository_id', 'integer')
    .addColumn('datetime_ms', t.bigint, (c) => c.notNull())
    .addColumn('ip', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('log_entry_account').on('log_entry').columns(['account_id', 'datetime_ms']).execute();
  await db.schema.createIndex('log_entry_performer').on('log_entry').columns(['performer_id', 'datetime_ms']).execute();
  await db.schema.createIndex('log_entry_repository').on('log_entry').columns(['repository_id', 'datetime_ms']).execute();
  await db.schema.createIndex('log_entry_datetime').on('log_entry').column('datetime_ms').execute();

  await db.schema
    .createTable('repository_notification')
    .addColumn('id', t.idType, t.id)
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('repository_id', 'integer', (c) => c.notNull().references('repository.id').onDelete('cascade'))
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('title', 'text')
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('event_config', 'text', (c) => c.notNull())
    .addColumn('number_of_failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_ran_ms', t.bigint)
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('repository_notification_event')
    .on('repository_notification')
    .columns(['repository_id', 'event'])
    .execute();

  // In-app notifications (Quay's Notification): what /api/v1/user/notifications lists.
  await db.schema
    .createTable('notification')
    .addColumn('id', t.idType, t.id)
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('target_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('lookup_path', 'text')
    .addColumn('dismissed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notification_target').on('notification').columns(['target_id', 'created_at']).execute();

  await db.schema
    .createTable('message')
    .addColumn('id', t.idType, t.id)
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .execute();

  await db.schema.alterTable('service_key').addColumn('name', 'text').execute();
  await db.schema.alterTable('service_key').addColumn('metadata', 'text', (c) => c.notNull().defaultTo('{}')).execute();
  await db.schema.alterTable('service_key').addColumn('rotation_duration_s', t.bigint).execute();
  // NULL approval_type = waiting for a superuser's approval; instance keys are approved automatically.
  await db.schema.alterTable('service_key').addColumn('approval_type', 'text').execute();
  await db.schema.alterTable('service_key').addColumn('approver_id', 'integer').execute();
  await db.schema.alterTable('service_key').addColumn('approved_at', t.bigint).execute();
  await db.schema.alterTable('service_key').addColumn('approval_notes', 'text').execute();
  await sql`update service_key set approval_type = 'ServiceKeyApprovalType.AUTOMATIC'`.execute(db);
}
