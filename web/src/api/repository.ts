import { useQuery } from '@tanstack/react-query';
import { api, repoPath } from './client';

/** GET /api/v1/repository/{namespace}/{name}: the fields the repository pages read. */
export interface RepositoryView {
  namespace: string;
  name: string;
  description?: string | null;
  is_public: boolean;
  is_organization: boolean;
  kind: string;
  state: 'NORMAL' | 'READ_ONLY' | 'MIRROR';
  can_write: boolean;
  can_admin: boolean;
  tag_expiration_s?: number;
}

export function repositoryQueryKey(namespace: string, name: string) {
  return ['repository', namespace, name] as const;
}

export function useRepository(namespace: string, name: string) {
  return useQuery({
    queryKey: repositoryQueryKey(namespace, name),
    queryFn: () => api<RepositoryView>(`/api/v1/repository/${repoPath(namespace, name)}`),
  });
}

/** Props every tab of the repository page receives. */
export interface RepositoryTabProps {
  namespace: string;
  name: string;
  repository: RepositoryView;
}
