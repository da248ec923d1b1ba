/**
 * Every query of one repository's tags (the tags page, tag details, labels, the tag history)
 * starts with this key, so that one invalidation after any tag change refreshes them all.
 */
export function repoTagsKey(namespace: string, name: string) {
  return ['repo-tags', namespace, name] as const;
}

/** One row of GET /api/v1/repository/{repo}/tag/ (Quay's `_tag_dict`). */
export interface TagView {
  name: string;
  reversion: boolean;
  start_ts?: number;
  end_ts?: number;
  manifest_digest: string;
  is_manifest_list: boolean;
  size: number | null;
  last_modified?: string;
  expiration?: string;
  child_manifest_count?: number;
  child_manifests_presence?: Record<string, boolean>;
}
