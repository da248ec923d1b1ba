import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database, QuotaType } from '../db/tables.js';
import { nowMs } from './clock.js';
import { createUserNotifications } from './notifications.js';
import { listNamespaceQuotas } from './quota.js';

/**
 * In-app quota_warning and quota_error notifications (FEATURE_QUOTA_NOTIFICATIONS), addressed to
 * the namespace: a user sees their own, an organization's administrators see the organization's.
 * Each limit (a type at a percentage) notifies once when the namespace reaches it, and again only
 * after the namespace has gone back under it. A Reject limit is mostly reached by a refused push,
 * whose blobs never count, so the recount after it always finds the namespace under the limit. A
 * claim therefore keeps the largest counted size seen since it was made, and ends only when a
 * recount finds the namespace below both the limit and that size: once space has been freed, not
 * merely because the refused blobs are missing from the count.
 */

export const QUOTA_NOTIFICATION_KINDS: Readonly<Record<QuotaType, string>> = {
  Warning: 'quota_warning',
  Reject: 'quota_error',
};

export interface QuotaThreshold {
  type: QuotaType;
  percent: number;
  limitBytes: number;
}

/** The size at which the threshold is reached, as the push check computes it. */
export function thresholdBytes(threshold: { percent: number; limitBytes: number }): number {
  return Math.floor((threshold.limitBytes * threshold.percent) / 100);
}

export interface QuotaUsage {
  /** The namespace's counted size (for a refused push, without the blobs it would have added). */
  countedBytes: number;
  /** The size the notification reports (for a refused push, with them). */
  usedBytes: number;
}

/**
 * Notifies `threshold` unless it was notified since the namespace last went under it; true when a
 * notification was created. The state row is the claim, so concurrent callers notify once.
 */
export async function notifyQuotaThreshold(
  db: Kysely<Database>,
  namespace: { id: number; name: string },
  threshold: QuotaThreshold,
  usage: QuotaUsage,
): Promise<boolean> {
  const claimed = await db
    .insertInto('quota_notification_state')
    .values({
      namespace_id: namespace.id,
      quota_type: threshold.type,
      threshold_percent: threshold.percent,
      counted_bytes: usage.countedBytes,
      notified_at: nowMs(),
    })
    .onConflict((oc) => oc.columns(['namespace_id', 'quota_type', 'threshold_percent']).doNothing())
    .returning('namespace_id')
    .executeTakeFirst();
  if (!claimed) return false;
  await createUserNotifications(db, QUOTA_NOTIFICATION_KINDS[threshold.type], [namespace.id], {
    namespace: namespace.name,
    threshold_percent: threshold.percent,
    usage_bytes: usage.usedBytes,
    limit_bytes: threshold.limitBytes,
  });
  return true;
}

/**
 * The limits that apply to the namespace: its quota's, else, without a quota, a Reject at 100% of
 * the system default (`systemRejectBytes`, 0 for none), as the push check applies them.
 */
async function applicableThresholds(db: Kysely<Database>, namespaceId: number, systemRejectBytes: number): Promise<QuotaThreshold[]> {
  const [quota] = await listNamespaceQuotas(db, namespaceId);
  if (quota) return quota.limits.map((l) => ({ type: l.type, percent: l.percentOfLimit, limitBytes: quota.limitBytes }));
  return systemRejectBytes > 0 ? [{ type: 'Reject', percent: 100, limitBytes: systemRejectBytes }] : [];
}

interface ClaimRow {
  quota_type: QuotaType;
  threshold_percent: number;
  notified_at: number;
}

/** The claim as it was read: one made since then belongs to another crossing and is left alone. */
function sameClaim(namespaceId: number, claim: ClaimRow) {
  return (eb: ExpressionBuilder<Database, 'quota_notification_state'>) =>
    eb.and({
      namespace_id: namespaceId,
      quota_type: claim.quota_type,
      threshold_percent: claim.threshold_percent,
      notified_at: claim.notified_at,
    });
}

/**
 * After a recount to `countedBytes`: forgets the notified limits the namespace is back under (and
 * those no longer applying), raises the largest size seen of the others, then notifies each limit
 * the size reaches. Returns how many notifications were created.
 */
export async function updateQuotaNotifications(
  db: Kysely<Database>,
  namespace: { id: number; name: string },
  countedBytes: number,
  systemRejectBytes: number,
): Promise<number> {
  const thresholds = await applicableThresholds(db, namespace.id, systemRejectBytes);
  const states = await db
    .selectFrom('quota_notification_state')
    .select(['quota_type', 'threshold_percent', 'counted_bytes', 'notified_at'])
    .where('namespace_id', '=', namespace.id)
    .execute();
  for (const state of states) {
    const threshold = thresholds.find((t) => t.type === state.quota_type && t.percent === Number(state.threshold_percent));
    const largestSeen = Number(state.counted_bytes);
    const stillReached = threshold !== undefined && countedBytes >= Math.min(thresholdBytes(threshold), largestSeen);
    if (!stillReached) {
      await db.deleteFrom('quota_notification_state').where(sameClaim(namespace.id, state)).execute();
    } else if (countedBytes > largestSeen) {
      await db.updateTable('quota_notification_state').set({ counted_bytes: countedBytes }).where(sameClaim(namespace.id, state)).execute();
    }
  }
  let created = 0;
  for (const threshold of thresholds) {
    if (countedBytes < thresholdBytes(threshold)) continue;
    if (await notifyQuotaThreshold(db, namespace, threshold, { countedBytes, usedBytes: countedBytes })) created++;
  }
  return created;
}
