import type { Kysely } from 'kysely';
import type { Database, QuotaType } from '../db/tables.js';
import { Invalid, NotFound } from '../errors.js';
import { nowMs } from './clock.js';

/**
 * Namespace storage quotas (Quay's data/model/namespacequota.py): one quota per namespace, a size
 * in bytes, and limits at a percentage of it that warn or reject. Validation messages are Quay's,
 * since API clients show them.
 */

export interface QuotaLimitRecord {
  id: number;
  type: QuotaType;
  percentOfLimit: number;
}

export interface NamespaceQuota {
  id: number;
  namespaceId: number;
  limitBytes: number;
  limits: QuotaLimitRecord[];
}

export const QUOTA_TYPES: readonly QuotaType[] = ['Warning', 'Reject'];

/** Quay accepts the type in any letter case and stores its canonical name. */
export function parseQuotaType(name: string): QuotaType {
  const type = QUOTA_TYPES.find((t) => t.toLowerCase() === name.toLowerCase());
  if (!type) throw new Invalid('input', `Quota type must be one of [${QUOTA_TYPES.join(', ')}]`);
  return type;
}

function checkThreshold(percent: number): void {
  if (!(percent > 0 && percent <= 100)) throw new Invalid('input', 'Quota limit threshold must be between 1 and 100');
}

function checkLimitBytes(limitBytes: number): void {
  if (!(limitBytes > 0) || !Number.isSafeInteger(limitBytes)) {
    throw new Invalid('input', `Invalid quota size limit value: '${limitBytes}'`);
  }
}

async function limitsOf(db: Kysely<Database>, quotaIds: readonly number[]): Promise<Map<number, QuotaLimitRecord[]>> {
  const byQuota = new Map<number, QuotaLimitRecord[]>();
  if (quotaIds.length === 0) return byQuota;
  const rows = await db
    .selectFrom('quota_limit')
    .select(['id', 'quota_id', 'quota_type', 'percent_of_limit'])
    .where('quota_id', 'in', [...quotaIds])
    .orderBy('id')
    .execute();
  for (const row of rows) {
    const list = byQuota.get(row.quota_id) ?? [];
    list.push({ id: Number(row.id), type: row.quota_type, percentOfLimit: Number(row.percent_of_limit) });
    byQuota.set(row.quota_id, list);
  }
  return byQuota;
}

/** The namespace's quotas with their limits: none or one. */
export async function listNamespaceQuotas(db: Kysely<Database>, namespaceId: number): Promise<NamespaceQuota[]> {
  const rows = await db
    .selectFrom('quota')
    .select(['id', 'namespace_id', 'limit_bytes'])
    .where('namespace_id', '=', namespaceId)
    .orderBy('id')
    .execute();
  const limits = await limitsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => ({
    id: Number(r.id),
    namespaceId: r.namespace_id,
    limitBytes: Number(r.limit_bytes),
    limits: limits.get(r.id) ?? [],
  }));
}

/** Quota ids in paths are Quay's integers; anything else names no quota. */
function parseId(id: string | number): number | undefined {
  const n = typeof id === 'number' ? id : /^\d{1,15}$/.test(id) ? Number(id) : Number.NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The namespace's quota with this id; NotFound otherwise. */
export async function getNamespaceQuota(db: Kysely<Database>, namespaceId: number, quotaId: string | number): Promise<NamespaceQuota> {
  const id = parseId(quotaId);
  const quota = id === undefined ? undefined : (await listNamespaceQuotas(db, namespaceId)).find((q) => q.id === id);
  if (!quota) throw new NotFound('namespace', `quota ${quotaId} not found`);
  return quota;
}

/** The quota's limit with this id; NotFound otherwise. */
export function getQuotaLimit(quota: NamespaceQuota, limitId: string | number): QuotaLimitRecord {
  const id = parseId(limitId);
  const limit = quota.limits.find((l) => l.id === id);
  if (!limit) throw new NotFound('namespace', `quota limit ${limitId} not found`);
  return limit;
}

/** Creates the namespace's quota; `existsMessage` is the endpoint's words for a second one. */
export async function createNamespaceQuota(
  db: Kysely<Database>,
  namespaceId: number,
  limitBytes: number,
  existsMessage: string,
): Promise<number> {
  if ((await listNamespaceQuotas(db, namespaceId)).length > 0) throw new Invalid('input', existsMessage);
  checkLimitBytes(limitBytes);
  const row = await db
    .insertInto('quota')
    .values({ namespace_id: namespaceId, limit_bytes: limitBytes, created_at: nowMs() })
    .onConflict((oc) => oc.column('namespace_id').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row) throw new Invalid('input', existsMessage);
  return Number(row.id);
}

export async function changeQuotaLimitBytes(db: Kysely<Database>, quotaId: number, limitBytes: number): Promise<void> {
  checkLimitBytes(limitBytes);
  await db.updateTable('quota').set({ limit_bytes: limitBytes }).where('id', '=', quotaId).execute();
}

/** Deletes the quota, its limits and the record of their notifications. */
export async function deleteNamespaceQuota(db: Kysely<Database>, quotaId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const quota = await trx.selectFrom('quota').select('namespace_id').where('id', '=', quotaId).executeTakeFirst();
    if (quota) await trx.deleteFrom('quota_notification_state').where('namespace_id', '=', quota.namespace_id).execute();
    await trx.deleteFrom('quota_limit').where('quota_id', '=', quotaId).execute();
    await trx.deleteFrom('quota').where('id', '=', quotaId).execute();
  });
}

/** Adds a limit; the same type at the same threshold twice is refused, as in Quay. */
export async function createQuotaLimit(
  db: Kysely<Database>,
  quota: NamespaceQuota,
  typeName: string,
  percentOfLimit: number,
): Promise<number> {
  checkThreshold(percentOfLimit);
  const type = parseQuotaType(typeName);
  if (quota.limits.some((l) => l.type === type && l.percentOfLimit === percentOfLimit)) {
    throw new Invalid('input', 'Quota limit already exists');
  }
  const row = await db
    .insertInto('quota_limit')
    .values({ quota_id: quota.id, quota_type: type, percent_of_limit: percentOfLimit })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

export interface QuotaLimitChange {
  type?: string | undefined;
  percentOfLimit?: number | undefined;
}

export async function changeQuotaLimit(db: Kysely<Database>, limitId: number, change: QuotaLimitChange): Promise<void> {
  const type = change.type === undefined ? undefined : parseQuotaType(change.type);
  if (change.percentOfLimit !== undefined) checkThreshold(change.percentOfLimit);
  if (type === undefined && change.percentOfLimit === undefined) return;
  await db
    .updateTable('quota_limit')
    .set({
      ...(type !== undefined ? { quota_type: type } : {}),
      ...(change.percentOfLimit !== undefined ? { percent_of_limit: change.percentOfLimit } : {}),
    })
    .where('id', '=', limitId)
    .execute();
}

/** Deletes the limit and the record of its notification. */
export async function deleteQuotaLimit(db: Kysely<Database>, limitId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const limit = await trx
      .selectFrom('quota_limit')
      .innerJoin('quota', 'quota.id', 'quota_limit.quota_id')
      .select(['quota.namespace_id as namespace_id', 'quota_limit.quota_type as type', 'quota_limit.percent_of_limit as percent'])
      .where('quota_limit.id', '=', limitId)
      .executeTakeFirst();
    if (limit) {
      await trx
        .deleteFrom('quota_notification_state')
        .where('namespace_id', '=', limit.namespace_id)
        .where('quota_type', '=', limit.type)
        .where('threshold_percent', '=', limit.percent)
        .execute();
    }
    await trx.deleteFrom('quota_limit').where('id', '=', limitId).execute();
  });
}
