import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/tables.js';
import { Invalid, NotFound } from '../errors.js';
import { isIndexMediaType } from '../manifest/media-types.js';
import { nowMs } from './clock.js';
import { labelledTagLifetimeMs } from './labels.js';
import { manifestChildDigests } from './manifests.js';
import { inTagMoveTransaction, moveTag, type TagMove, tagAlive, tagWithinTimeMachine } from './tags.js';

/**
 * A repository's tag history (Quay's list_repository_tag_history) and the time machine: every tag
 * row, live or ended, stays until the namespace's window (removed_tag_expiration_s) has passed
 * since it ended, and a tag can be restored to any manifest it pointed to within that window.
 */

export type TagNameFilter = { operation: 'like' | 'eq'; value: string };

export interface TagHistoryQuery {
  /** 1-based. */
  page: number;
  limit: number;
  specificTag?: string | undefined;
  onlyActive: boolean;
  nameFilter?: TagNameFilter | undefined;
}

export interface TagHistoryEntry {
  name: string;
  startMs: number;
  /** When the row ended or ends: moved/deleted, or its expiry (past or future). Null: no end. */
  endMs: number | null;
  manifestId: number;
  manifestDigest: string;
  isManifestList: boolean;
  /** Compressed size of the layers; null for manifest lists. */
  size: number | null;
  /** The row restored an earlier manifest (the time machine). */
  reversion: boolean;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * One page of the history, newest start first (then by name), hidden tags left out. The ordering
 * follows the (repository_id, lifetime_start_ms, name) index, so a page costs the same whatever the
 * number of tags.
 */
export async function listTagHistory(
  db: Kysely<Database>,
  repositoryId: number,
  query: TagHistoryQuery,
): Promise<{ entries: TagHistoryEntry[]; hasMore: boolean }> {
  // The page's rows are found on the tag table alone (its index covers the filters and the order),
  // and only they are joined with their manifests: deep pages skip index entries, not joined rows.
  let pageIds = db
    .selectFrom('tag')
    .select('tag.id')
    .where('tag.repository_id', '=', repositoryId)
    .where('tag.hidden', '=', 0);
  if (query.specificTag !== undefined) pageIds = pageIds.where('tag.name', '=', query.specificTag);
  const filter = query.nameFilter;
  if (filter?.operation === 'eq') pageIds = pageIds.where('tag.name', '=', filter.value);
  if (filter?.operation === 'like') {
    const pattern = `%${escapeLike(filter.value.toLowerCase())}%`;
    pageIds = pageIds.where(sql<boolean>`lower(${sql.ref('tag.name')}) like ${pattern} escape '\\'`);
  }
  if (query.onlyActive) pageIds = pageIds.where(tagAlive(nowMs()));
  pageIds = pageIds
    .orderBy('tag.lifetime_start_ms', 'desc')
    .orderBy('tag.name')
    .orderBy('tag.id', 'desc')
    .limit(query.limit + 1)
    .offset(query.limit * (query.page - 1));
  const rows = await db
    .selectFrom('tag')
    .innerJoin('manifest', 'manifest.id', 'tag.manifest_id')
    .select([
      'tag.name as name',
      'tag.lifetime_start_ms as start',
      'tag.lifetime_end_ms as end',
      'tag.expires_at_ms as expires',
      'tag.reversion as reversion',
      'manifest.id as manifestId',
      'manifest.digest as digest',
      'manifest.media_type as mediaType',
      'manifest.layers_size as size',
    ])
    .where('tag.id', 'in', pageIds)
    .orderBy('tag.lifetime_start_ms', 'desc')
    .orderBy('tag.name')
    .orderBy('tag.id', 'desc')
    .execute();
  const entries = rows.slice(0, query.limit).map((row): TagHistoryEntry => {
    const isManifestList = isIndexMediaType(row.mediaType);
    const end = row.end ?? row.expires;
    return {
      name: row.name,
      startMs: Number(row.start),
      endMs: end === null ? null : Number(end),
      manifestId: row.manifestId,
      manifestDigest: row.digest,
      isManifestList,
      size: isManifestList || row.size === null ? null : Number(row.size),
      reversion: Number(row.reversion) === 1,
    };
  });
  return { entries, hasMore: rows.length > query.limit };
}

/** Whether each manifest an index lists is stored in the repository (Quay's sparse-manifest info). */
export type ChildPresence = Map<string, boolean>;

/** For each manifest list among `manifestIds`, the presence of every child it lists, in its order. */
export async function manifestListChildren(
  db: Kysely<Database>,
  repositoryId: number,
  manifestIds: readonly number[],
): Promise<Map<number, ChildPresence>> {
  const result = new Map<number, ChildPresence>();
  if (manifestIds.length === 0) return result;
  const lists = await db
    .selectFrom('manifest')
    .select(['id', 'content', 'media_type'])
    .where('id', 'in', [...new Set(manifestIds)])
    .execute();
  const listed = new Map(lists.map((row) => [row.id, manifestChildDigests(row.content, row.media_type)]));
  const wanted = [...new Set([...listed.values()].flat())];
  const present = new Set<string>();
  if (wanted.length > 0) {
    const rows = await db
      .selectFrom('manifest')
      .select('digest')
      .where('repository_id', '=', repositoryId)
      .where('digest', 'in', wanted)
      .where('deleted_at', 'is', null)
      .execute();
    for (const row of rows) present.add(row.digest);
  }
  for (const [id, digests] of listed) result.set(id, new Map(digests.map((d) => [d, present.has(d)])));
  return result;
}

/**
 * Points tag `name` at a stored manifest (the API's create and move), with the expiry its
 * `quay.expires-after` label prescribes, as Quay's retarget_tag does. Returns what the tag pointed
 * at before (null: the tag was created).
 */
export async function retargetTag(
  db: Kysely<Database>,
  repositoryId: number,
  name: string,
  manifest: { id: number; mediaType: string; digest?: string },
): Promise<TagMove> {
  return inTagMoveTransaction(db, async (trx) => {
    // Locks the manifest row against garbage collection (the writer lock on SQLite): it may have
    // taken the manifest, untagged until now, since the caller found it.
    const kept = await trx
      .updateTable('manifest')
      .set((eb) => ({ digest: eb.ref('digest') }))
      .where('id', '=', manifest.id)
      .returning('id')
      .executeTakeFirst();
    if (!kept) {
      const named = manifest.digest ?? `#${manifest.id}`;
      throw new NotFound('manifest', `manifest ${named} not found: garbage collection removed it`, manifestReference(manifest));
    }
    const expiresAfterMs = await labelledTagLifetimeMs(trx, manifest.id, isIndexMediaType(manifest.mediaType));
    return moveTag(trx, repositoryId, name, manifest.id, { expiresAfterMs });
  });
}

function manifestReference(manifest: { digest?: string }): { reference: string } | undefined {
  return manifest.digest === undefined ? undefined : { reference: manifest.digest };
}

async function timeMachineWindowMs(db: Kysely<Database>, namespaceId: number): Promise<number> {
  const row = await db
    .selectFrom('namespace')
    .select('removed_tag_expiration_s')
    .where('id', '=', namespaceId)
    .executeTakeFirstOrThrow();
  return Number(row.removed_tag_expiration_s) * 1000;
}

interface RepositoryOfTags {
  id: number;
  namespace_id: number;
}

/**
 * Points tag `name` back at manifest `digest`, which the tag must have pointed to within the
 * namespace's time-machine window (or still points to). A manifest deleted since is served again.
 */
export async function restoreTag(
  db: Kysely<Database>,
  repo: RepositoryOfTags,
  name: string,
  digest: string,
): Promise<void> {
  const manifest = await db
    .selectFrom('manifest')
    .select(['id', 'media_type', 'deleted_at'])
    .where('repository_id', '=', repo.id)
    .where('digest', '=', digest)
    .executeTakeFirst();
  if (!manifest) throw new NotFound('manifest', `manifest ${digest} not found`, { reference: digest });
  const windowMs = await timeMachineWindowMs(db, repo.namespace_id);
  const cutoff = nowMs() - windowMs;
  const restorable = await db
    .selectFrom('tag')
    .select('id')
    .where('repository_id', '=', repo.id)
    .where('name', '=', name)
    .where('manifest_id', '=', manifest.id)
    .where('hidden', '=', 0)
    .where(tagWithinTimeMachine(cutoff))
    .limit(1)
    .executeTakeFirst();
  if (!restorable) {
    throw new Invalid(
      'tag',
      `cannot restore tag ${name} to ${digest}: the tag did not point to that manifest within the time machine window of ${windowMs / 1000} seconds`,
    );
  }
  await inTagMoveTransaction(db, async (trx) => {
    // Also locks the row against garbage collection, which may have taken it since the check above.
    const kept = await trx.updateTable('manifest').set({ deleted_at: null }).where('id', '=', manifest.id).returning('id').executeTakeFirst();
    if (!kept) throw new NotFound('manifest', `manifest ${digest} not found: garbage collection removed it`, { reference: digest });
    const expiresAfterMs = await labelledTagLifetimeMs(trx, manifest.id, isIndexMediaType(manifest.media_type));
    await moveTag(trx, repo.id, name, manifest.id, { expiresAfterMs, reversion: true });
  });
}

export type TimeMachineRemoval = { alive: true } | { alive: false; manifestId: number };

/**
 * Moves tag rows out of the time machine (Quay's remove_tag_from_timemachine): their end is set to
 * the start of the window, so they can no longer be restored and garbage collection may take them.
 * `alive`: the live tag (which ends now); otherwise the ended rows of the tag that pointed at the
 * manifest within the window. Returns how many rows changed.
 */
export async function removeFromTimeMachine(
  db: Kysely<Database>,
  repo: RepositoryOfTags,
  name: string,
  which: TimeMachineRemoval,
): Promise<number> {
  const windowMs = await timeMachineWindowMs(db, repo.namespace_id);
  const now = nowMs();
  const outside = now - windowMs;
  const base = db
    .updateTable('tag')
    .set({ lifetime_end_ms: outside })
    .where('repository_id', '=', repo.id)
    .where('name', '=', name)
    .where('hidden', '=', 0);
  if (which.alive) {
    const result = await base.where(tagAlive(now)).executeTakeFirst();
    return Number(result.numUpdatedRows);
  }
  if (windowMs === 0) return 0;
  const result = await base
    .where('manifest_id', '=', which.manifestId)
    .where((eb) =>
      eb.or([
        eb.and([eb('lifetime_end_ms', '<=', now), eb('lifetime_end_ms', '>', outside)]),
        eb.and([eb('lifetime_end_ms', 'is', null), eb('expires_at_ms', '<=', now), eb('expires_at_ms', '>', outside)]),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
