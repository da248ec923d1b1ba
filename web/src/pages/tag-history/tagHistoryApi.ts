import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, repoPath } from '../../api/client';
import { repoTagsKey } from '../../api/tags';
import type { TagHistoryRow } from './tagEvents';

/** GET /api/v1/repository/{repo}/tag/ (live and ended rows) and the time machine's restore. */

const PAGE_SIZE = 100;
/** Enough history for a page; beyond it the tab says that older rows are left out. */
const MAX_PAGES = 20;

interface HistoryPage {
  tags: TagHistoryRow[];
  page: number;
  has_additional: boolean;
}

export interface TagHistory {
  rows: TagHistoryRow[];
  truncated: boolean;
}

function historyKey(namespace: string, name: string) {
  return [...repoTagsKey(namespace, name), 'repository-history'] as const;
}

async function fetchHistory(namespace: string, name: string): Promise<TagHistory> {
  const rows: TagHistoryRow[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const result = await api<HistoryPage>(`/api/v1/repository/${repoPath(namespace, name)}/tag/`, {
      query: { onlyActiveTags: false, limit: PAGE_SIZE, page },
    });
    rows.push(...result.tags);
    if (!result.has_additional) return { rows, truncated: false };
  }
  return { rows, truncated: true };
}

export function useRepositoryTagHistory(namespace: string, name: string) {
  return useQuery({ queryKey: historyKey(namespace, name), queryFn: () => fetchHistory(namespace, name) });
}

export function useRestoreTag(namespace: string, name: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ tag, digest }: { tag: string; digest: string }) =>
      api(`/api/v1/repository/${repoPath(namespace, name)}/tag/${encodeURIComponent(tag)}/restore`, {
        method: 'POST',
        body: { manifest_digest: digest },
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: repoTagsKey(namespace, name) }),
  });
}
