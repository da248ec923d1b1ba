import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { IMAGE_CONFIG_MEDIA_TYPES } from '../manifest/media-types.js';
import type { Storage } from '../storage/storage.js';
import { findRepositoryBlob, locateBlob } from './blobs.js';

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

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Labels and history of a parsed config document; anything malformed is left out. */
export function summarizeImageConfig(document: unknown): ImageConfigSummary {
  const root = record(document) ?? {};
  const labels: Record<string, string> = {};
  for (const [key, value] of Object.entries(record(record(root['config'])?.['Labels']) ?? {})) {
    if (typeof value === 'string') labels[key] = value;
  }
  const history = (Array.isArray(root['history']) ? root['history'] : []).map((entry): ImageHistoryEntry => {
    const item = record(entry) ?? {};
    return {
      created: text(item['created']),
      createdBy: text(item['created_by']),
      author: text(item['author']),
      comment: text(item['comment']),
      emptyLayer: item['empty_layer'] === true,
    };
  });
  return { labels, history };
}

async function readBounded(stream: Readable, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > limit) {
      stream.destroy();
      return undefined;
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
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
