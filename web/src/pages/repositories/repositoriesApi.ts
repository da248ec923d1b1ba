import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { runEach } from '../../api/bulk';
import { api, repoPath } from '../../api/client';
import { repositoryQueryKey } from '../../api/repository';
import { fetchNamespaceRepositories, REPOSITORIES_KEY, type RepositorySummary } from '../../api/repositories';
import type { CurrentUser } from '../../api/types';

export type Visibility = 'public' | 'private';

export function repositoryFullName(repo: { namespace: string; name: string }): string {
  return `${repo.namespace}/${repo.name}`;
}

/** The UI address of a repository (nested names keep their slashes). */
export function repositoryLink(repo: { namespace: string; name: string }): string {
  return `/repository/${repoPath(repo.namespace, repo.name)}`;
}

/** The namespaces whose repositories the all-repositories list shows: the user's own and its organizations'. */
function ownNamespaces(user: CurrentUser): string[] {
  return [...new Set([user.username, ...(user.organizations ?? []).map((org) => org.name)])];
}

/** The repositories of one namespace, or (without one) of every namespace the user belongs to. */
export function useRepositoryList(user: CurrentUser | null | undefined, namespace?: string) {
  return useQuery({
    queryKey: [REPOSITORIES_KEY, namespace ?? '*', user?.username],
    enabled: Boolean(user),
    queryFn: async () => {
      const namespaces = namespace ? [namespace] : user ? ownNamespaces(user) : [];
      const lists = await Promise.all(namespaces.map(fetchNamespaceRepositories));
      return lists.flat();
    },
  });
}

/** The namespaces where the user may create repositories. */
export function creatableNamespaces(user: CurrentUser | null | undefined): string[] {
  if (!user) return [];
  const own = user.can_create_repo === false ? [] : [user.username];
  const orgs = (user.organizations ?? []).filter((org) => org.can_create_repo).map((org) => org.name);
  return [...own, ...orgs];
}

export interface NewRepository {
  namespace: string;
  repository: string;
  description: string;
  visibility: Visibility;
}

export function useCreateRepository() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (repo: NewRepository) =>
      api('/api/v1/repository', { method: 'POST', body: { ...repo, repo_kind: 'image' } }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: [REPOSITORIES_KEY] }),
  });
}

export function changeVisibility(repo: { namespace: string; name: string }, visibility: Visibility): Promise<unknown> {
  return api(`/api/v1/repository/${repoPath(repo.namespace, repo.name)}/changevisibility`, {
    method: 'POST',
    body: { visibility },
  });
}

export function deleteRepository(repo: { namespace: string; name: string }): Promise<unknown> {
  return api(`/api/v1/repository/${repoPath(repo.namespace, repo.name)}`, { method: 'DELETE' });
}

export interface BulkOutcome {
  succeeded: number;
  failures: { name: string; error: unknown }[];
}

/** Runs `action` on every repository, one at a time, and collects what failed. */
export async function forEachRepository(
  repos: RepositorySummary[],
  action: (repo: RepositorySummary) => Promise<unknown>,
): Promise<BulkOutcome> {
  const outcome = await runEach(repos, action);
  return {
    succeeded: outcome.succeeded.length,
    failures: outcome.failures.map(({ item, error }) => ({ name: repositoryFullName(item), error })),
  };
}

/** Invalidates the lists and the single-repository views a change touched. */
export async function refreshRepositories(
  queryClient: ReturnType<typeof useQueryClient>,
  repos: { namespace: string; name: string }[],
): Promise<void> {
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: [REPOSITORIES_KEY] }),
    ...repos.map((repo) => queryClient.invalidateQueries({ queryKey: repositoryQueryKey(repo.namespace, repo.name) })),
  ]);
}
