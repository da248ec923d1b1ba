import { DomainError } from '../errors.js';
import { QuotaExceeded } from '../model/quota-enforcement.js';
import { RemoteRegistryError, type RemoteFailure } from './remote.js';

/**
 * What a sync tells people: the status message (last_sync_message, the usage log, the
 * notification) and the reason label of the failure metrics. Messages name the tag and the cause
 * in words an operator can act on; credentials never appear in them.
 */

/** Why a sync or one of its tags failed: the remote's failure kinds, or what went wrong here. */
export type MirrorFailureReason = RemoteFailure | 'quota' | 'config' | 'internal';

export interface MirrorFailure {
  reason: MirrorFailureReason;
  message: string;
}

export interface TagFailure extends MirrorFailure {
  tag: string;
}

/** A failure the sync can name; anything unexpected keeps its message under 'internal'. */
export function describeFailure(err: unknown): MirrorFailure {
  if (err instanceof RemoteRegistryError) return { reason: err.failure, message: err.message };
  if (err instanceof QuotaExceeded) return { reason: 'quota', message: err.message };
  if (err instanceof DomainError) return { reason: 'invalid', message: err.message };
  return { reason: 'internal', message: err instanceof Error ? err.message : String(err) };
}

/** The failure that stands for the whole sync in metrics: the most frequent reason among the tags. */
export function dominantReason(failures: readonly MirrorFailure[]): MirrorFailureReason {
  const counts = new Map<MirrorFailureReason, number>();
  for (const f of failures) counts.set(f.reason, (counts.get(f.reason) ?? 0) + 1);
  let best: MirrorFailureReason = 'internal';
  let most = 0;
  for (const [reason, count] of counts) {
    if (count > most) [best, most] = [reason, count];
  }
  return best;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export interface SyncSummary {
  source: string;
  matched: number;
  /** Tags that now point at a different manifest (or were created). */
  changed: string[];
  removed: string[];
  failures: TagFailure[];
  /** REPO_MIRROR_ROLLBACK kept the copied tags from moving because others failed. */
  rolledBack: boolean;
}

export function syncMessage(summary: SyncSummary): string {
  const { failures } = summary;
  const changes = `${plural(summary.changed.length, 'tag')} updated, ${summary.removed.length} removed`;
  if (failures.length === 0) {
    if (summary.matched === 0) return `no tag of ${summary.source} matches the tag patterns; ${summary.removed.length} removed`;
    return `synced ${plural(summary.matched, 'tag')} from ${summary.source}: ${changes}`;
  }
  const reasons = failures.map((f) => `tag ${f.tag}: ${f.message}`).join('; ');
  const failed = `${failures.length} of ${plural(summary.matched, 'tag')} failed`;
  if (summary.rolledBack) return `${failed}; nothing applied (REPO_MIRROR_ROLLBACK). ${reasons}`;
  const kept = failures.length === 1 ? 'keeps its previous image' : 'keep their previous image';
  return `${failed} and ${kept}; ${changes}. ${reasons}`;
}
