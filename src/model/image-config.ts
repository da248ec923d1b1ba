import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { IMAGE_CONFIG_MEDIA_TYPES } from '../manifest/media-types.js';
import { readBounded } from '../storage/read-bounded.js';
import type { Storage } from '../storage/storage.js';
import { findRepositoryBlob, locateBlob } from './blobs.js';
import { asRecord, asString } from './narrow.js';

/**
 * The parts of an image config (Docker container config v1 or OCI image config) that Quay shows
 * and acts on: `config.Labels` (imported as manifest labels) and `history` (the layer details of
 * the manifest API). Configs are read from storage with a size bound.
 */

/** Larger configs are not read: real image configs are a few KiB, with long histories a few hundred. */
export const MAX_IMAGE_CONFIG_BYTES = 2 * 1024 * 1024;

export interface ImageHistoryEntry {
  created: string | null;
  createdBy: string | null;
  author: string | null;
  comment: string | null;
  emptyLayer: boolean;
}

export interface ImageConfigSummary {
  labels: Record<string, string>;
  history: ImageHistoryEntry[];
}

export function isImageConfigMediaType(mediaType: string | null | undefined): boolean {
  return mediaType !== null && mediaType !== undefined && IMAGE_CONFIG_MEDIA_TYPES.has(mediaType);
}

/** Labels and history of a parsed config document; anything malformed is left out. */
export function summarizeImageConfig(document: unknown): ImageConfigSummary {
  const root = asRecord(document) ?? {};
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(asRecord(asRecord(root['config'])?.['Labels']) ?? {})) {
    if (typeof value === 'string') labels[key] = value;
  }
  const history = (Array.isArray(root['history']) ? root['history'] : []).map((entry): ImageHistoryEntry => {
    const item = asRecord(entry) ?? {};
    return {
      created: asString(item['created']) ?? null,
      createdBy: asString(item['created_by']) ?? null,
      author: asString(item['author']) ?? null,
      comment: asString(item['comment']) ?? null,
      emptyLayer: item['empty_layer'] === true,
    };
  });
  return { labels, history };
}

/**
 * Reads and summarizes the config blob `digest` of a repository. Undefined when the repository does
 * not hold it, it exceeds MAX_IMAGE_CONFIG_BYTES or it is not JSON; storage failures throw.
 */
export async function readImageConfig(
  db: Kysely<Database>,
  storage: Storage,
  repositoryId: number,
  digest: string,
): Promise<ImageConfigSummary | undefined> {
  const blob = await findRepositoryBlob(db, repositoryId, digest);
  if (!blob || Number(blob.size) > MAX_IMAGE_CONFIG_BYTES) return undefined;
  const store = await locateBlob(db, storage, blob.id);
  const bytes = await readBounded(await store.read(digest), MAX_IMAGE_CONFIG_BYTES);
  if (!bytes) return undefined;
  try {
    return summarizeImageConfig(JSON.parse(bytes.toString('utf8')));
  } catch {
    return undefined;
  }
}
