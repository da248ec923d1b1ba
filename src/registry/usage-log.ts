import { performerId, performerName } from '../auth/principal.js';
import type { LogKind, UsageLogInput } from '../model/usage-logs.js';
import type { RepositoryWithNamespace } from '../model/repositories.js';
import { loggedUserAgent } from '../model/user-agent.js';
import type { RepositoryCall } from './call.js';

/**
 * Usage-log entries of registry actions (Quay's track_and_log): the repository's namespace and
 * name, the client's user agent and who acted, plus the action's own fields.
 */

export function registryLogEntry(
  call: RepositoryCall,
  repo: RepositoryWithNamespace,
  kind: LogKind,
  fields: Record<string, unknown>,
): UsageLogInput {
  const metadata: Record<string, unknown> = { repo: repo.name, namespace: repo.namespace_name };
  const userAgent = loggedUserAgent(call.request.headers['user-agent']);
  if (userAgent) metadata['user-agent'] = userAgent;
  Object.assign(metadata, fields);
  const { principal } = call.actor;
  const username = performerName(principal);
  if (username !== null) metadata['username'] = username;
  if (principal.kind === 'robot') metadata['is_robot'] = true;
  return {
    kind,
    namespaceId: repo.namespace_id,
    performerId: performerId(principal),
    repositoryId: repo.id,
    ip: call.request.ip,
    metadata,
  };
}
