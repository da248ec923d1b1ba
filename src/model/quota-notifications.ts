import type { Kysely } from 'kysely';
import type { Database, QuotaType } from '../db/tables.js';
import { nowMs } from './clock.js';
import { createUserNotifications } from './notifications.js';
import { listNamespaceQuotas } from './quota.js';

/**
 * In-app quota_warning and quota_error notifications (FEATURE_QUOTA_NOTIFICATIONS), addressed to
 * the namespace: a user sees their own, an organization's administrators see the organization's.
 * Each threshold notifies once when the namespace's size reaches it, and again only after the size
 * has gone back under it.
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

/**
 * Notifies `threshold` unless it was notified since the namespace last went under it; true when a
 * notification was created. The state row is the claim, so concurrent callers notify once.
 */
export async function notifyQuotaThreshold(
  db: Kysely<Database>,
  namespace: { id: number; name: string },
  threshold: QuotaThreshold,
  usedBytes: number,
): Promise<boolean> {
  const claimed = await db
    .insertInto('quota_notification_state')
    .values({ namespace_id: namespace.id, threshold_percent: threshold.percent, notified_at: nowMs() })
    .onConflict((oc) => oc.columns(['namespace_id', 'threshold_percent']).doNothing())
    .returning('namespace_id')
    .executeTakeFirst();
  if (!claimed) return false;
  await createUserNotifications(db, QUOTA_NOTIFICATION_KINDS[threshold.type], [namespace.id], {
    namespace: namespace.name,
    threshold_percent: threshold.percent,
    usage_bytes: usedBytes,
    limit_bytes: threshold.limitBytes,
  });
  return true;
}

/**
 * After a recount: notifies each limit of the namespace's quota the size has reached, and forgets
 * the thresholds it is back under. Returns how many notifications were created.
 */
export async function updateQuotaNotifications(
  db: Kysely<Database>,
  namespace: { id: number; name: string },
  usedBytes: number,
): Promise<number> {
  const [quota] = await listNamespaceQuotas(db, namespace.id);
  const limits = quota?.limits ?? [];
  const reached = (percent: number) => quota !== undefined && usedBytes >= Math.floor((quota.limitBytes * percent) / 100);
  const kept = limits.filter((l) => reached(l.percentOfLimit)).map((l) => l.percentOfLimit);
  // Forget thresholds the size is under again, and those of limits (or a quota) since removed.
  let forget = db.deleteFrom('quota_notification_state').where('namespace_id', '=', namespace.id);
  if (kept.length > 0) forget = forget.where('threshold_percent', 'not in', kept);
  await forget.execute();
  let created = 0;
  if (!quota) return created;
  for (const limit of limits) {
    if (!reached(limit.percentOfLimit)) continue;
    const threshold = { type: limit.type, percent: limit.percentOfLimit, limitBytes: quota.limitBytes };
    if (await notifyQuotaThreshold(db, namespace, threshold, usedBytes)) created++;
  }
  return created;
}
