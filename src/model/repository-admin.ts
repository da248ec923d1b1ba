import type { Kysely } from 'kysely';
import type { Database, RepositoryState, RepositoryVisibility } from '../db/tables.js';
import { Invalid } from '../errors.js';
import { nowMs } from './clock.js';
import { tagAlive } from './tags.js';
import { enqueue } from './queue.js';
import { parseRepositoryPath, type RepositoryWithNamespace } from './repositories.js';

/**
 * Repository administration for the REST API: the live tags of a repository's view, description,
 * visibility and state changes, and deletion (mark, rename, hand over to the repositorygc worker).
 */

/** The states an administrator may put a repository in (deletion has its own operation). */
export type SettableRepositoryState = Exclude<RepositoryState, 'MARKED_FOR_DELETION'>;

const STATES: readonly SettableRepositoryState[] = ['NORMAL', 'READ_ONLY', 'MIRROR'];

export function isSettableRepositoryState(value: string): value is SettableRepositoryState {
  return (STATES as readonly string[]).includes(value);
}

/**
 * Checks a new repository's name as the registry checks pushed names: lower-case path components,
 * at most 255 characters with the namespace, nested names only where `allowNested`.
 */
export function validateRepositoryName(namespace: string, name: string, allowNested: boolean): void {
  const ref = parseRepositoryPath(`${namespace}/${name}`);
  if (ref.namespace !== namespace || ref.name !== name) throw new Invalid('name', `invalid namespace "${namespace}"`);
  if (!allowNested && name.includes('/')) {
    throw new Invalid('name', `nested repository names such as "${name}" are disabled on this registry`);
  }
}

export interface TagSummary {
  name: string;
  manifestDigest: string;
  /** Compressed size of the layers; null for manifest lists. */
  size: number | null;
  lastModifiedMs: number;
  /** When the tag expires, if it has an expiry. */
  expiresAtMs: number | null;
}

/** The repository's live, visible tags in name order, at most `limit`. */
export async function liveTagSummaries(db: Kysely<Database>, repositoryId: number, limit: number): Promise<TagSummary[]> {
  const rows = await db
    .selectFrom('tag')
    .innerJoin('manifest', 'manifest.id', 'tag.manifest_id')
    .select([
      'tag.name as name',
      'manifest.digest as digest',
      'manifest.layers_size as size',
      'tag.lifetime_start_ms as start',
      'tag.expires_at_ms as expires',
    ])
    .where('tag.repository_id', '=', repositoryId)
    .where(tagAlive(nowMs()))
    .where('tag.hidden', '=', 0)
    .orderBy('tag.name')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    name: r.name,
    manifestDigest: r.digest,
    size: r.size === null ? null : Number(r.size),
    lastModifiedMs: Number(r.start),
    expiresAtMs: r.expires === null ? null : Number(r.expires),
  }));
}

function liveRepository(db: Kysely<Database>, repositoryId: number) {
  return db
    .updateTable('repository')
    .where('id', '=', repositoryId)
    .where('state', '!=', 'MARKED_FOR_DELETION');
}

export async function setRepositoryDescription(db: Kysely<Database>, repositoryId: number, description: string): Promise<void> {
  await liveRepository(db, repositoryId).set({ description }).execute();
}

export async function setRepositoryVisibility(
  db: Kysely<Database>,
  repositoryId: number,
  visibility: RepositoryVisibility,
): Promise<void> {
  await liveRepository(db, repositoryId).set({ visibility }).execute();
}

export async function setRepositoryState(
  db: Kysely<Database>,
  repositoryId: number,
  state: SettableRepositoryState,
): Promise<void> {
  await liveRepository(db, repositoryId).set({ state }).execute();
}

/**
 * The name a deleted repository keeps until the worker removes it. `~` never appears in a valid
 * repository name and the id is unique, so it cannot clash with a live or another deleted one.
 */
export function deletedRepositoryName(name: string, repositoryId: number): string {
  return `${name}~deleted~${repositoryId}`;
}

/** The name a repository had before deletedRepositoryName renamed it. */
export function nameBeforeDeletion(deletedName: string, repositoryId: number): string {
  const suffix = deletedRepositoryName('', repositoryId);
  return deletedName.endsWith(suffix) ? deletedName.slice(0, -suffix.length) : deletedName;
}

/** Queues the repositorygc item that purges a repository marked for deletion. */
export async function queueRepositoryPurge(
  db: Kysely<Database>,
  repo: { id: number; namespace: string; originalName: string },
): Promise<void> {
  await enqueue(db, 'repositorygc', { repository_id: repo.id, namespace: repo.namespace, original_name: repo.originalName });
}

/**
 * Deletes a repository as far as clients can tell: it leaves every lookup and listing at once and
 * frees its name for reuse; the repositorygc worker removes its content later.
 */
export async function markRepositoryForDeletion(db: Kysely<Database>, repo: RepositoryWithNamespace): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('repository')
      .set({ state: 'MARKED_FOR_DELETION', name: deletedRepositoryName(repo.name, repo.id) })
      .where('id', '=', repo.id)
      .where('state', '!=', 'MARKED_FOR_DELETION')
      .executeTakeFirst();
    // A concurrent delete got there first and has queued the clean-up.
    if (Number(result.numUpdatedRows) === 0) return;
    await queueRepositoryPurge(trx, { id: repo.id, namespace: repo.namespace_name, originalName: repo.name });
  });
}
