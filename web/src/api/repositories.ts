import { useQuery } from '@tanstack/react-query';
import { api } from './client';

/** One entry of GET /api/v1/repository (with last_modified=true). */
export interface RepositorySummary {
  namespace: string;
  name: string;
  description: string | null;
  is_public: boolean;
  state: 'NORMAL' | 'READ_ONLY' | 'MIRROR';
  /** Epoch seconds of the last push or tag change; null when nothing was ever pushed. */
  last_modified?: number | null;
  /** Present only when the registry reports quotas. */
  quota_report?: { quota_bytes: number; configured_quota: number | null };
}

interface RepositoryListPage {
  repositories: RepositorySummary[];
  next_page?: string;
}

/** The first element of every query key that lists repositories: invalidate it after a change. */
export const REPOSITORIES_KEY = 'repositories';

/** Every repository of `namespace` the user may read (public ones included), following next_page. */
export async function fetchNamespaceRepositories(namespace: string): Promise<RepositorySummary[]> {
  const repositories: RepositorySummary[] = [];
  let nextPage: string | undefined;
  do {
    const page: RepositoryListPage = await api<RepositoryListPage>('/api/v1/repository', {
      query: { namespace, public: true, starred: false, last_modified: true, next_page: nextPage },
    });
    repositories.push(...page.repositories);
    nextPage = page.next_page;
  } while (nextPage);
  return repositories;
}

/** The query of one namespace's repositories sorted by name, for `useQuery` with a `select`. */
export function namespaceRepositoriesQuery(namespace: string) {
  return {
    queryKey: [REPOSITORIES_KEY, namespace, 'sorted'],
    queryFn: async () => (await fetchNamespaceRepositories(namespace)).sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** The repositories of one namespace, sorted by name (for pickers: permissions, wizards). */
export function useNamespaceRepositories(namespace: string) {
  return useQuery(namespaceRepositoriesQuery(namespace));
}
