import { useQueries, useQuery } from '@tanstack/react-query';
import { api, repoPath } from '../../api/client';
import { repoTagsKey, type TagView } from '../../api/tags';

interface TagPage {
  tags: TagView[];
  page: number;
  has_additional: boolean;
}

/** GET /api/v1/repository/{repo}/manifest/{digest}. */
export interface ManifestView {
  digest: string;
  is_manifest_list: boolean;
  manifest_data: string;
  layers_compressed_size: number;
}

export interface LabelView {
  id: string;
  key: string;
  value: string;
  source_type: 'manifest' | 'api' | 'internal';
  media_type: string;
}

export interface Platform {
  os?: string;
  architecture?: string;
  variant?: string;
}

/** A manifest named by a manifest list, with the layer size once fetched. */
export interface ChildManifest {
  digest: string;
  platform?: Platform;
  isPresent: boolean;
  size?: number;
}

const PAGE_SIZE = 100;
/** Stops a runaway listing; 50 pages of 100 is far beyond any repository the UI pages through. */
const MAX_PAGES = 50;

function tagPath(namespace: string, name: string, tag: string): string {
  return `/api/v1/repository/${repoPath(namespace, name)}/tag/${encodeURIComponent(tag)}`;
}

function manifestPath(namespace: string, name: string, digest: string): string {
  // Digests (`sha256:<hex>`) are URL-safe as they are.
  return `/api/v1/repository/${repoPath(namespace, name)}/manifest/${digest}`;
}

/** All live tags of the repository; the table filters, selects and pages them in the browser. */
export function useActiveTags(namespace: string, name: string) {
  return useQuery({
    queryKey: [...repoTagsKey(namespace, name), 'active'],
    queryFn: async () => {
      const tags: TagView[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const result = await api<TagPage>(`/api/v1/repository/${repoPath(namespace, name)}/tag/`, {
          query: { onlyActiveTags: true, limit: PAGE_SIZE, page },
        });
        tags.push(...result.tags);
        if (!result.has_additional) break;
      }
      return tags;
    },
  });
}

/** Every row (live and ended) of one tag name, newest first. */
export function useTagHistory(namespace: string, name: string, tag: string) {
  return useQuery({
    queryKey: [...repoTagsKey(namespace, name), 'history', tag],
    queryFn: async () =>
      (
        await api<TagPage>(`/api/v1/repository/${repoPath(namespace, name)}/tag/`, {
          query: { specificTag: tag, limit: PAGE_SIZE },
        })
      ).tags,
  });
}

export function isLive(tag: TagView, nowMs = Date.now()): boolean {
  return tag.end_ts === undefined || tag.end_ts * 1000 > nowMs;
}

export function useManifestLabels(namespace: string, name: string, digest: string | undefined) {
  return useQuery({
    queryKey: [...repoTagsKey(namespace, name), 'labels', digest],
    queryFn: async () => (await api<{ labels: LabelView[] }>(`${manifestPath(namespace, name, digest ?? '')}/labels`)).labels,
    enabled: digest !== undefined,
  });
}

function parseChildren(manifest: ManifestView, presence: Record<string, boolean>): ChildManifest[] {
  let parsed: { manifests?: { digest: string; platform?: Platform }[] };
  try {
    parsed = JSON.parse(manifest.manifest_data);
  } catch {
    return [];
  }
  return (parsed.manifests ?? []).map((entry) => ({
    digest: entry.digest,
    platform: entry.platform,
    isPresent: presence[entry.digest] ?? true,
  }));
}

/**
 * The platforms of a manifest list: the list's own manifest names them, and each child that is
 * present is fetched for its size. Absent children (a sparse list) are never requested.
 */
export function useChildManifests(namespace: string, name: string, tag: TagView, enabled: boolean) {
  const list = useQuery({
    queryKey: [...repoTagsKey(namespace, name), 'manifest', tag.manifest_digest],
    queryFn: () => api<ManifestView>(manifestPath(namespace, name, tag.manifest_digest)),
    enabled: enabled && tag.is_manifest_list,
  });
  const children = list.data ? parseChildren(list.data, tag.child_manifests_presence ?? {}) : [];
  const sizes = useQueries({
    queries: children.map((child) => ({
      queryKey: [...repoTagsKey(namespace, name), 'manifest', child.digest],
      queryFn: () => api<ManifestView>(manifestPath(namespace, name, child.digest)),
      enabled: child.isPresent,
    })),
  });
  return {
    isPending: list.isPending && enabled,
    error: list.error,
    children: children.map((child, index) => ({ ...child, size: sizes[index]?.data?.layers_compressed_size })),
  };
}

export function platformName(platform: Platform | undefined): string {
  if (!platform) return 'unknown platform';
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
}

// ---- writes ----------------------------------------------------------------------------------

export function deleteTag(namespace: string, name: string, tag: string): Promise<unknown> {
  return api(tagPath(namespace, name, tag), { method: 'DELETE' });
}

/** `expiresAt` null clears the expiration. */
export function setTagExpiration(namespace: string, name: string, tag: string, expiresAt: Date | null): Promise<unknown> {
  const expiration = expiresAt === null ? null : Math.floor(expiresAt.getTime() / 1000);
  return api(tagPath(namespace, name, tag), { method: 'PUT', body: { expiration } });
}

export function addLabel(namespace: string, name: string, digest: string, key: string, value: string): Promise<unknown> {
  return api(`${manifestPath(namespace, name, digest)}/labels`, {
    method: 'POST',
    body: { key, value, media_type: 'text/plain' },
  });
}

export function deleteLabel(namespace: string, name: string, digest: string, labelId: string): Promise<unknown> {
  return api(`${manifestPath(namespace, name, digest)}/labels/${encodeURIComponent(labelId)}`, { method: 'DELETE' });
}

/** Runs one write per item; resolves with the items whose write failed and why. */
