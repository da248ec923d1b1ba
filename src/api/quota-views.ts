import type { QuaysideConfig } from '../config/load.js';
import type { NamespaceQuota, QuotaLimitRecord } from '../model/quota.js';
import { quotaSizeLabel } from '../model/quota-units.js';

/** Quay's JSON for quotas and their limits (endpoints/api/namespacequota.py). */

export function quotaLimitView(limit: QuotaLimitRecord): Record<string, unknown> {
  return { id: limit.id, type: limit.type, limit_percent: limit.percentOfLimit };
}

function defaultConfigExists(config: QuaysideConfig): boolean {
  return config.DEFAULT_SYSTEM_REJECT_QUOTA_BYTES !== 0;
}

/** A quota as the quota endpoints show it. */
export function quotaView(config: QuaysideConfig, quota: NamespaceQuota): Record<string, unknown> {
  return {
    id: quota.id,
    limit_bytes: quota.limitBytes,
    limit: quotaSizeLabel(quota.limitBytes),
    default_config: false,
    limits: quota.limits.map(quotaLimitView),
    default_config_exists: defaultConfigExists(config),
  };
}

/**
 * What an organization's quota list shows when it has no quota but DEFAULT_SYSTEM_REJECT_QUOTA_BYTES
 * applies: the system default, without an id of its own (Quay shows an unsaved quota, id null).
 */
export function systemDefaultQuotaView(config: QuaysideConfig): Record<string, unknown> {
  const limitBytes = config.DEFAULT_SYSTEM_REJECT_QUOTA_BYTES;
  return {
    id: null,
    limit_bytes: limitBytes,
    limit: quotaSizeLabel(limitBytes),
    default_config: true,
    limits: [],
    default_config_exists: true,
  };
}

/** The shorter form the organization and user views embed in `quotas`. */
export function embeddedQuotaView(quota: NamespaceQuota): Record<string, unknown> {
  return { id: quota.id, limit_bytes: quota.limitBytes, limits: quota.limits.map(quotaLimitView) };
}
