import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, repoPath } from '../../api/client';
import { repositoryQueryKey } from '../../api/repository';
import type { RepositoryRole } from '../../components/PermissionSelect';
import { REPOSITORIES_KEY } from '../../api/repositories';

export interface RepositoryRef {
  namespace: string;
  name: string;
}

function base(repo: RepositoryRef): string {
  return `/api/v1/repository/${repoPath(repo.namespace, repo.name)}`;
}

// ---- permissions --------------------------------------------------------------------------------

export type HolderKind = 'user' | 'team';

/** A user, robot or team holding a role on the repository. */
export interface Permission {
  kind: HolderKind;
  name: string;
  role: RepositoryRole;
  isRobot: boolean;
}

interface PermissionListing {
  permissions: Record<string, { role: RepositoryRole; name: string; is_robot?: boolean }>;
}

function permissionsKey(repo: RepositoryRef) {
  return ['repository-permissions', repo.namespace, repo.name] as const;
}

function permissionPath(repo: RepositoryRef, kind: HolderKind, name: string): string {
  return `${base(repo)}/permissions/${kind}/${encodeURIComponent(name)}`;
}

async function fetchPermissions(repo: RepositoryRef, kind: HolderKind): Promise<Permission[]> {
  const listing = await api<PermissionListing>(`${base(repo)}/permissions/${kind}/`);
  return Object.values(listing.permissions).map((p) => ({ kind, name: p.name, role: p.role, isRobot: p.is_robot === true }));
}

/** Users and robots, then (in an organization) teams. */
export function usePermissions(repo: RepositoryRef, isOrganization: boolean) {
  return useQuery({
    queryKey: permissionsKey(repo),
    queryFn: async () => {
      const [users, teams] = await Promise.all([
        fetchPermissions(repo, 'user'),
        isOrganization ? fetchPermissions(repo, 'team') : Promise.resolve([]),
      ]);
      return [...users, ...teams];
    },
  });
}

export function useSetPermission(repo: RepositoryRef) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: { kind: HolderKind; name: string; role: RepositoryRole }) =>
      api(permissionPath(repo, change.kind, change.name), { method: 'PUT', body: { role: change.role } }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: permissionsKey(repo) }),
  });
}

export function useDeletePermission(repo: RepositoryRef) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (holder: { kind: HolderKind; name: string }) => api(permissionPath(repo, holder.kind, holder.name), { method: 'DELETE' }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: permissionsKey(repo) }),
  });
}

// ---- notifications ------------------------------------------------------------------------------

export interface RepositoryNotification {
  uuid: string;
  title: string | null;
  event: string;
  method: string;
  config: Record<string, unknown>;
  event_config: Record<string, unknown>;
  number_of_failures: number;
}

export interface NewNotification {
  event: string;
  method: string;
  config: Record<string, unknown>;
  eventConfig: Record<string, unknown>;
  title?: string;
}

function notificationsKey(repo: RepositoryRef) {
  return ['repository-notifications', repo.namespace, repo.name] as const;
}

export function useNotifications(repo: RepositoryRef) {
  return useQuery({
    queryKey: notificationsKey(repo),
    queryFn: async () => (await api<{ notifications: RepositoryNotification[] }>(`${base(repo)}/notification/`)).notifications,
  });
}

/** Create, test, reset and delete, each refreshing the list afterwards. */
export function useNotificationActions(repo: RepositoryRef) {
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: notificationsKey(repo) });
  const one = (uuid: string) => `${base(repo)}/notification/${encodeURIComponent(uuid)}`;
  return {
    create: useMutation({
      mutationFn: (notification: NewNotification) => api(`${base(repo)}/notification/`, { method: 'POST', body: notification }),
      onSettled: refresh,
    }),
    test: useMutation({ mutationFn: (uuid: string) => api(`${one(uuid)}/test`, { method: 'POST' }) }),
    reset: useMutation({ mutationFn: (uuid: string) => api(one(uuid), { method: 'POST' }), onSettled: refresh }),
    remove: useMutation({ mutationFn: (uuid: string) => api(one(uuid), { method: 'DELETE' }), onSettled: refresh }),
  };
}

// ---- visibility, state, deletion ----------------------------------------------------------------

export type RepositoryState = 'NORMAL' | 'READ_ONLY' | 'MIRROR';

/** Visibility, state and deletion: each refreshes this repository's view and the lists. */
export function useRepositoryAdmin(repo: RepositoryRef) {
  const queryClient = useQueryClient();
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: repositoryQueryKey(repo.namespace, repo.name) }),
      queryClient.invalidateQueries({ queryKey: [REPOSITORIES_KEY] }),
    ]);
  return {
    setVisibility: useMutation({
      mutationFn: (visibility: 'public' | 'private') => api(`${base(repo)}/changevisibility`, { method: 'POST', body: { visibility } }),
      onSuccess: refresh,
    }),
    setState: useMutation({
      mutationFn: (state: RepositoryState) => api(`${base(repo)}/changestate`, { method: 'PUT', body: { state } }),
      onSuccess: refresh,
    }),
    remove: useMutation({
      mutationFn: () => api(base(repo), { method: 'DELETE' }),
      // The repository's own view is left alone: refetching it while its page is still shown would 404.
      onSuccess: () => queryClient.invalidateQueries({ queryKey: [REPOSITORIES_KEY] }),
    }),
  };
}
