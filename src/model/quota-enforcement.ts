import { type Kysely, sql } from 'kysely';
import type { QuaysideConfig } from '../config/load.js';
import type { Database } from '../db/tables.js';
import { Denied } from '../errors.js';
import { notifyQuotaThreshold, thresholdBytes } from './quota-notifications.js';
import { shortSize } from './quota-units.js';
import { recountNamespaceSizes } from './quota-sizes.js';

/**
 * The quota check of a manifest push (Quay's verify_namespace_quota). The namespace's size is its
 * stored total (the quotatotal worker's) plus the blobs of this manifest that no manifest of the
 * namespace references yet. When that reaches the namespace's Reject threshold (the quota's
 * limit_bytes times the Reject limit's percentage; DEFAULT_SYSTEM_REJECT_QUOTA_BYTES for a
 * namespace without a quota) the push is refused. A quota without a Reject limit refuses nothing,
 * as in Quay. Blob uploads are not checked: only a manifest makes blobs count. With
 * FEATURE_QUOTA_NOTIFICATIONS a refusal also notifies the namespace (quota_error), once per crossing.
 */

/** Quay's words for a push refused by quota; Quayside adds the figures after them. */
export const QUOTA_EXCEEDED_MESSAGE = 'Quota has been exceeded on namespace';

/** Refused by the namespace's quota: /v2/ answers 403 DENIED. */
export class QuotaExceeded extends Denied {
  constructor(
    readonly namespace: string,
    readonly usedBytes: number,
    readonly allowedBytes: number,
  ) {
    super(`${QUOTA_EXCEEDED_MESSAGE} ${namespace}: ${shortSize(usedBytes)} used of ${shortSize(allowedBytes)} allowed`);
  }
}

export function quotaEnforced(config: QuaysideConfig): boolean {
  return config.FEATURE_QUOTA_MANAGEMENT && config.FEATURE_VERIFY_QUOTA;
}

export interface PushQuotaInput {
  namespaceId: number;
  namespaceName: string;
  /** Digests of the blobs the manifest references. */
  blobDigests: readonly string[];
}

interface QuotaState {
  limit_bytes: number | string | null;
  reject_percent: number | string | null;
  size_bytes: number | string | null;
}

/** The namespace's quota, lowest Reject percentage and stored size, in one query. */
async function quotaState(db: Kysely<Database>, namespaceId: number): Promise<QuotaState | undefined> {
  return db
    .selectFrom('namespace')
    .leftJoin('quota', 'quota.namespace_id', 'namespace.id')
    .leftJoin('quota_namespace_size', 'quota_namespace_size.namespace_id', 'namespace.id')
    .select([
      'quota.limit_bytes as limit_bytes',
      'quota_namespace_size.size_bytes as size_bytes',
      (eb) =>
        eb
          .selectFrom('quota_limit')
          .select(sql<number | string | null>`min(quota_limit.percent_of_limit)`.as('p'))
          .whereRef('quota_limit.quota_id', '=', 'quota.id')
          .where('quota_limit.quota_type', '=', 'Reject')
          .as('reject_percent'),
    ])
    .where('namespace.id', '=', namespaceId)
    .executeTakeFirst();
}

/** The namespace's Reject threshold: its quota's, else the system default; undefined when none applies. */
function rejectThreshold(config: QuaysideConfig, state: QuotaState): { bytes: number; percent: number; limitBytes: number } | undefined {
  if (state.limit_bytes === null) {
    const systemDefault = config.DEFAULT_SYSTEM_REJECT_QUOTA_BYTES;
    return systemDefault > 0 ? { bytes: systemDefault, percent: 100, limitBytes: systemDefault } : undefined;
  }
  if (state.reject_percent === null) return undefined;
  const limitBytes = Number(state.limit_bytes);
  const percent = Number(state.reject_percent);
  return { bytes: thresholdBytes({ percent, limitBytes }), percent, limitBytes };
}

/** Bytes of the listed blobs that no manifest of the namespace's live repositories references. */
async function uncountedBytes(db: Kysely<Database>, namespaceId: number, digests: readonly string[]): Promise<number> {
  const unique = [...new Set(digests)];
  if (unique.length === 0) return 0;
  const row = await db
    .selectFrom('blob')
    .select(sql<number | string | null>`sum(blob.size)`.as('total'))
    .where('blob.digest', 'in', unique)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('manifest_blob')
            .innerJoin('manifest', 'manifest.id', 'manifest_blob.manifest_id')
            .innerJoin('repository', 'repository.id', 'manifest.repository_id')
            .select('manifest_blob.blob_id')
            .whereRef('manifest_blob.blob_id', '=', 'blob.id')
            .where('repository.namespace_id', '=', namespaceId)
            .where('repository.state', '!=', 'MARKED_FOR_DELETION'),
        ),
      ),
    )
    .executeTakeFirst();
  return Number(row?.total ?? 0);
}

/** Throws QuotaExceeded when the push would take the namespace to its Reject threshold. */
export async function checkPushQuota(db: Kysely<Database>, config: QuaysideConfig, input: PushQuotaInput): Promise<void> {
  const state = await quotaState(db, input.namespaceId);
  if (!state) return;
  const reject = rejectThreshold(config, state);
  if (reject === undefined) return;
  // Never computed yet (the worker has not reached it): count it now and store it, as the worker
  // would, so later pushes read the stored size instead of counting again.
  const stored =
    state.size_bytes === null ? (await recountNamespaceSizes(db, input.namespaceId)).namespaceBytes : Number(state.size_bytes);
  const used = stored + (await uncountedBytes(db, input.namespaceId, input.blobDigests));
  if (used < reject.bytes) return;
  if (config.FEATURE_QUOTA_NOTIFICATIONS) {
    const namespace = { id: input.namespaceId, name: input.namespaceName };
    // The refusal matters more than its notification: a failure to notify must not turn the 403 into a 500.
    const threshold = { type: 'Reject' as const, percent: reject.percent, limitBytes: reject.limitBytes };
    await notifyQuotaThreshold(db, namespace, threshold, { countedBytes: stored, usedBytes: used }).catch(() => false);
  }
  throw new QuotaExceeded(input.namespaceName, used, reject.bytes);
}
