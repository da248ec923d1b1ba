import { type Kysely, sql } from 'kysely';
import type { ColumnTypes } from './column-types.js';

/**
 * Storage quotas (Quay's UserOrganizationQuota and QuotaLimits) and the stored sizes the quotatotal
 * worker keeps current (Quay's QuotaNamespaceSize and QuotaRepositorySize), and which thresholds
 * were notified (Quay's QuotaNotificationState). A namespace has at most one quota; its limits are
 * percentages of it that warn or reject.
 */
export async function up(db: Kysely<unknown>, t: ColumnTypes): Promise<void> {
  await db.schema
    .createTable('quota')
    .addColumn('id', t.idType, t.id)
    .addColumn('namespace_id', 'integer', (c) => c.notNull().unique().references('namespace.id').onDelete('cascade'))
    .addColumn('limit_bytes', t.bigint, (c) => c.notNull())
    .addColumn('created_at', t.bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('quota_limit')
    .addColumn('id', t.idType, t.id)
    .addColumn('quota_id', 'integer', (c) => c.notNull().references('quota.id').onDelete('cascade'))
    .addColumn('quota_type', 'text', (c) => c.notNull())
    .addColumn('percent_of_limit', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('quota_limit_quota').on('quota_limit').column('quota_id').execute();

  await db.schema
    .createTable('quota_namespace_size')
    .addColumn('namespace_id', 'integer', (c) => c.primaryKey().references('namespace.id').onDelete('cascade'))
    .addColumn('size_bytes', t.bigint, (c) => c.notNull())
    .addColumn('computed_at', t.bigint, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('quota_repository_size')
    .addColumn('repository_id', 'integer', (c) => c.primaryKey().references('repository.id').onDelete('cascade'))
    .addColumn('size_bytes', t.bigint, (c) => c.notNull())
    .addColumn('computed_at', t.bigint, (c) => c.notNull())
    .execute();

  // The limits a namespace has been notified about, so each crossing notifies once; counted_bytes
  // is the largest counted size since (see quota-notifications.ts).
  await db.schema
    .createTable('quota_notification_state')
    .addColumn('namespace_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('quota_type', 'text', (c) => c.notNull())
    .addColumn('threshold_percent', 'integer', (c) => c.notNull())
    .addColumn('counted_bytes', t.bigint, (c) => c.notNull())
    .addColumn('notified_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('quota_notification_state_pk', ['namespace_id', 'quota_type', 'threshold_percent'])
    .execute();

  // Each push looks for a waiting recount of its namespace by body; only quotatotal bodies are
  // indexed (they are short; other queues' bodies can be large).
  await db.schema
    .createIndex('queue_item_quotatotal_body')
    .on('queue_item')
    .column('body')
    .where(sql.ref('queue_name'), '=', 'quotatotal')
    .execute();
}
