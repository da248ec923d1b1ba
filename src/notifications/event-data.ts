import type { QuaysideConfig } from '../config/load.js';

/**
 * The fields every repository event carries (Quay's build_repository_event_data): the repository's
 * full name, namespace and name, its pull address and its page in the web UI.
 */
export interface RepositoryEventBase {
  repository: string;
  namespace: string;
  name: string;
  docker_url: string;
  homepage: string;
  [key: string]: unknown;
}

function serverHostname(config: QuaysideConfig): string {
  return config.SERVER_HOSTNAME ?? 'localhost';
}

/**
 * Builds an event's payload: the repository fields, then the event's own `extra` fields.
 * `subpage` extends the homepage (builds link to `/build/<id>`).
 */
export function repositoryEventData(
  config: QuaysideConfig,
  namespace: string,
  name: string,
  extra: Record<string, unknown> = {},
  subpage?: string,
): RepositoryEventBase {
  const repository = `${namespace}/${name}`;
  const host = serverHostname(config);
  let homepage = `${config.PREFERRED_URL_SCHEME}://${host}/repository/${repository}`;
  if (subpage) homepage += subpage.startsWith('/') ? subpage : `/${subpage}`;
  return { repository, namespace, name, docker_url: `${host}/${repository}`, homepage, ...extra };
}

/**
 * Completes a queued payload with the repository fields it lacks, so that producers may queue just
 * their event's own fields (e.g. `{updated_tags}` for a push) and still deliver Quay's full shape.
 */
export function completeEventData(
  config: QuaysideConfig,
  namespace: string,
  name: string,
  eventData: Record<string, unknown>,
): RepositoryEventBase {
  return { ...repositoryEventData(config, namespace, name), ...eventData };
}
