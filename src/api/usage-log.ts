import { performerId } from '../auth/principal.js';
import type { LogKind } from '../model/usage-logs.js';
import type { ApiCall } from './router.js';

interface ApiLogEntry {
  kind: LogKind;
  /** The namespace the action happened in (the repository's, the organization's, the user's own). */
  namespaceId: number | null;
  repositoryId?: number | null;
  metadata?: Record<string, unknown>;
  /** Who acted, when not the caller (sign-in: the user who just signed in). */
  performerId?: number | null;
}

/** Writes the usage-log entry of an API action, with the caller as performer and its address. */
export async function logApiAction(call: ApiCall<unknown, unknown>, entry: ApiLogEntry): Promise<void> {
  const metadata: Record<string, unknown> = { ...(entry.metadata ?? {}) };
  if (call.actor.credential === 'oauth_token') metadata['oauth_token'] = true;
  await call.ctx.usageLogs.record({
    kind: entry.kind,
    namespaceId: entry.namespaceId,
    performerId: entry.performerId !== undefined ? entry.performerId : performerId(call.actor.principal),
    repositoryId: entry.repositoryId ?? null,
    ip: call.request.ip,
    metadata,
  });
}
