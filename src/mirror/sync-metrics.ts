import type { RepoMirrorStatus } from '../db/tables.js';
import type { Metrics } from '../metrics/registry.js';
import type { RepositoryWithNamespace } from '../model/repositories.js';

/** Quay's RepoMirrorStatus numbers, the value of quay_repository_mirror_last_sync_status. */
const STATUS_NUMBER: Record<RepoMirrorStatus, number> = {
  CANCEL: -2,
  FAIL: -1,
  NEVER_RUN: 0,
  SUCCESS: 1,
  SYNCING: 2,
  SYNC_NOW: 3,
};

/** The last_error_reason each repository's status gauge carries, per metrics registry, so a new reason replaces the old series. */
const lastReasons = new WeakMap<Metrics, Map<number, string>>();

function repositoryLabels(repo: RepositoryWithNamespace) {
  return { namespace: repo.namespace_name, repository: repo.name };
}

/** A sync starts: the time of its last attempt (Unix seconds), as Quay's gauge has it. */
export function recordSyncStart(metrics: Metrics, repo: RepositoryWithNamespace, now: number): void {
  metrics.mirrorLastSyncTimestamp.set(repositoryLabels(repo), Math.floor(now / 1000));
}

export function countPendingTags(metrics: Metrics, repo: RepositoryWithNamespace, pending: number): void {
  metrics.mirrorPendingTags.set(repositoryLabels(repo), pending);
}

/** Records a finished sync: status (with the failure reason, '' on success), duration and failure count. */
export function recordSyncOutcome(
  metrics: Metrics,
  repo: RepositoryWithNamespace,
  status: 'SUCCESS' | 'FAIL' | 'CANCEL',
  reason: string,
  seconds: number,
): void {
  const labels = repositoryLabels(repo);
  const reasons = lastReasons.get(metrics) ?? new Map<number, string>();
  lastReasons.set(metrics, reasons);
  const previous = reasons.get(repo.id);
  if (previous !== undefined && previous !== reason) metrics.mirrorLastSyncStatus.remove({ ...labels, last_error_reason: previous });
  reasons.set(repo.id, reason);
  metrics.mirrorLastSyncStatus.set({ ...labels, last_error_reason: reason }, STATUS_NUMBER[status]);
  metrics.mirrorSyncDuration.observe({ namespace: repo.namespace_name }, seconds);
  if (status === 'FAIL') metrics.mirrorSyncFailures.inc({ namespace: repo.namespace_name, reason });
  metrics.mirrorPendingTags.set(labels, 0);
  metrics.mirrorSyncComplete.set(labels, status === 'SUCCESS' ? 1 : 0);
}
