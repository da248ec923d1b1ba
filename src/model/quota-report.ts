import type { Kysely } from 'kysely';
import type { QuaysideConfig } from '../config/load.js';
import type { Database } from '../db/tables.js';

/**
 * The `quota_report` objects of Quay's API: a repository's or a namespace's stored size and the
 * quota configured for its namespace (the system default reject size when it has none, else null).
 */

/** Whether the API shows quotas and quota reports (Quay: FEATURE_QUOTA_MANAGEMENT and FEATURE_EDIT_QUOTA). */
export function quotaApiEnabled(config: QuaysideConfig): boolean {
  return config.FEATURE_QUOTA_MANAGEMENT && config.FEATURE_EDIT_QUOTA;
}

export interface RepositoryQuotaReport {
  quota_bytes: number;
  configured_quota: number | null;
}

export interface NamespaceQuotaReport extends RepositoryQuotaReport {
  /** Quay's backfill status of the namespace's total: "waiting" until first computed, then "complete". */
  running_backfill: string;
  backfill_status: string;
}

function systemDefault(config: QuaysideConfig): number | null {
  return config.DEFAULT_SYSTEM_REJECT_QUOTA_BYTES !== 0 ? config.DEFAULT_SYSTEM_REJECT_QUOTA_BYTES : null;
}

/** Reports for a page of repositories, in one query whatever the page size. */
export async function repositoryQuotaReports(
  db: Kysely<Database>,
  config: QuaysideConfig,
  repositoryIds: readonly number[],
): Promise<Map<number, RepositoryQuotaReport>> {
  if (repositoryIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('repository')
    .leftJoin('quota_repository_size', 'quota_repository_size.repository_id', 'repository.id')
    .leftJoin('quota', 'quota.namespace_id', 'repository.namespace_id')
    .select(['repository.id as id', 'quota_repository_size.size_bytes as size_bytes', 'quota.limit_bytes as limit_bytes'])
    .where('repository.id', 'in', [...repositoryIds])
    .execute();
  return new Map(
    rows.map((r) => [
      Number(r.id),
      {
        quota_bytes: r.size_bytes === null ? 0 : Number(r.size_bytes),
        configured_quota: r.limit_bytes === null ? systemDefault(config) : Number(r.limit_bytes),
      },
    ]),
  );
}

export async function namespaceQuotaReport(
  db: Kysely<Database>,
  config: QuaysideConfig,
  namespaceId: number,
): Promise<NamespaceQuotaReport> {
  const row = await db
    .selectFrom('namespace')
    .leftJoin('quota', 'quota.namespace_id', 'namespace.id')
    .leftJoin('quota_namespace_size', 'quota_namespace_size.namespace_id', 'namespace.id')
    .select(['quota.limit_bytes as limit_bytes', 'quota_namespace_size.size_bytes as size_bytes'])
    .where('namespace.id', '=', namespaceId)
    .executeTakeFirst();
  const computed = row?.size_bytes !== null && row?.size_bytes !== undefined;
  const status = computed ? 'complete' : 'waiting';
  return {
    quota_bytes: computed ? Number(row.size_bytes) : 0,
    configured_quota: row?.limit_bytes !== null && row?.limit_bytes !== undefined ? Number(row.limit_bytes) : systemDefault(config),
    running_backfill: status,
    backfill_status: status,
  };
}
