import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, api, repoPath } from './client';

/**
 * A repository's mirror configuration (Quay's /api/v1/repository/{repo}/mirror): where it pulls
 * from, which tags, when, as which robot, and the state of its syncs. The password is write-only.
 */

export type MirrorSyncStatus = 'NEVER_RUN' | 'SYNC_NOW' | 'SYNCING' | 'SUCCESS' | 'FAIL' | 'CANCEL';

export interface MirrorProxy {
  http_proxy: string | null;
  https_proxy: string | null;
  no_proxy: string | null;
}

export interface MirrorRegistryConfig {
  verify_tls: boolean;
  unsigned_images: boolean;
  proxy: MirrorProxy;
}

/** GET …/mirror. Dates are "YYYY-MM-DDTHH:MM:SSZ" (UTC); sync_interval is in seconds. */
export interface MirrorConfigView {
  is_enabled: boolean;
  mirror_type: string;
  external_reference: string;
  external_registry_username: string | null;
  external_registry_config: MirrorRegistryConfig;
  sync_interval: number;
  sync_start_date: string | null;
  sync_expiration_date: string | null;
  sync_retries_remaining: number;
  sync_status: MirrorSyncStatus;
  root_rule: { rule_kind: 'tag_glob_csv'; rule_value: string[] };
  robot_username: string | null;
  skopeo_timeout_interval: number;
  last_sync?: { started: string | null; finished: string | null; message: string | null } | null;
}

/** The body of POST (all of it) and PUT (any part of it) …/mirror. null removes a credential. */
export interface MirrorConfigWrite {
  is_enabled?: boolean;
  external_reference?: string;
  external_registry_username?: string | null;
  external_registry_password?: string | null;
  external_registry_config?: MirrorRegistryConfig;
  sync_interval?: number;
  sync_start_date?: string;
  root_rule?: { rule_kind: 'tag_glob_csv'; rule_value: string[] };
  robot_username?: string;
  skopeo_timeout_interval?: number;
}

/** While a sync is asked for or running, the status is fetched again this often. */
const BUSY_POLL_MS = 3000;

export function isSyncBusy(status: MirrorSyncStatus | undefined): boolean {
  return status === 'SYNCING' || status === 'SYNC_NOW';
}

export function mirrorQueryKey(namespace: string, name: string) {
  return ['repository', namespace, name, 'mirror'] as const;
}

function mirrorPath(namespace: string, name: string): string {
  return `/api/v1/repository/${repoPath(namespace, name)}/mirror`;
}

/** The configuration, or null when the repository has none yet (the API answers 404). */
async function fetchMirror(namespace: string, name: string): Promise<MirrorConfigView | null> {
  try {
    return await api<MirrorConfigView>(mirrorPath(namespace, name));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export function useMirror(namespace: string, name: string) {
  return useQuery({
    queryKey: mirrorQueryKey(namespace, name),
    queryFn: () => fetchMirror(namespace, name),
    refetchInterval: (query) => (isSyncBusy(query.state.data?.sync_status) ? BUSY_POLL_MS : false),
  });
}

/** Saving (POST when `exists` is false, PUT otherwise), sync now and cancel; each refreshes the view. */
export function useMirrorActions(namespace: string, name: string) {
  const queryClient = useQueryClient();
  const path = mirrorPath(namespace, name);
  const refresh = () => queryClient.invalidateQueries({ queryKey: mirrorQueryKey(namespace, name) });
  const save = useMutation({
    mutationFn: ({ exists, body }: { exists: boolean; body: MirrorConfigWrite }) =>
      api(path, { method: exists ? 'PUT' : 'POST', body }),
    onSuccess: refresh,
  });
  const syncNow = useMutation({ mutationFn: () => api(`${path}/sync-now`, { method: 'POST' }), onSettled: refresh });
  const cancel = useMutation({ mutationFn: () => api(`${path}/sync-cancel`, { method: 'POST' }), onSettled: refresh });
  return { save, syncNow, cancel };
}
