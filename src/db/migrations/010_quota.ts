import type { Kysely } from 'kysely';
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

  // The thresholds a namespace has been notified about, so each crossing notifies once.
  await db.schema
    .createTable('quota_notification_state')
    .addColumn('namespace_id', 'integer', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('threshold_percent', 'integer', (c) => c.notNull())
    .addColumn('notified_at', t.bigint, (c) => c.notNull())
    .addPrimaryKeyConstraint('quota_notification_state_pk', ['namespace_id', 'threshold_percent'])
    .execute();
}
