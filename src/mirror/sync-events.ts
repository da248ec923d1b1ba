import type { AppContext } from '../context.js';
import type { MirrorConfig } from '../model/repo-mirror.js';
import type { RepositoryWithNamespace } from '../model/repositories.js';
import { queueRepositoryEvent } from '../model/repository-events.js';
import type { LogKind } from '../model/usage-logs.js';
import { repositoryEventData } from '../notifications/event-data.js';

/**
 * The usage-log entries and notification events of a sync, in Quay's shape: the system performs
 * them (no performer), and the metadata carries verb, namespace, repo, message and the tag(s).
 */

export type SyncEventDeps = Pick<AppContext, 'db' | 'config' | 'metrics' | 'usageLogs'>;

type SyncEvent = 'repo_mirror_sync_started' | 'repo_mirror_sync_success' | 'repo_mirror_sync_failed';

/**
 * Quay's metadata: `start` (no tags), `end` (a sync that ran through, or failed before copying),
 * `lost` (tags failed), `Cancelled`, and `finish` for one tag's entry; `tags` is one string,
 * the tag names joined with ", ".
 */
export interface SyncLogDetails {
  verb: 'start' | 'end' | 'lost' | 'Cancelled' | 'finish';
  message: string;
  tag?: string;
  tags?: string;
}

export async function logSync(
  deps: SyncEventDeps,
  repo: RepositoryWithNamespace,
  kind: LogKind,
  details: SyncLogDetails,
): Promise<void> {
  await deps.usageLogs.record({
    kind,
    namespaceId: repo.namespace_id,
    performerId: null,
    repositoryId: repo.id,
    metadata: { namespace: repo.namespace_name, repo: repo.name, ...details },
  });
}

/** Queues the event for the repository's notifications subscribed to it. */
export async function notifySync(deps: SyncEventDeps, repo: RepositoryWithNamespace, event: SyncEvent, message: string): Promise<void> {
  const data = repositoryEventData(deps.config, repo.namespace_name, repo.name, { message });
  const queued = await queueRepositoryEvent(deps.db, repo.id, event, data);
  if (queued > 0) deps.metrics.queueItemPuts.inc({ queue_name: 'notification' }, queued);
}

/** What the started entry says: where from and which tags, as Quay writes it. */
export function startMessage(config: MirrorConfig): string {
  return `'${config.externalReference}' with tag pattern '${config.tagPatterns.join(',')}'`;
}
