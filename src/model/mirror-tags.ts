import type { Kysely, Transaction } from 'kysely';
import { onPostgres } from '../db/dialect-of.js';
import type { Database } from '../db/tables.js';
import { isIndexMediaType } from '../manifest/media-types.js';
import { nowMs } from './clock.js';
import { labelledTagLifetimeMs } from './labels.js';
import { renewManifestHolds } from './manifests.js';
import { holdMirrorClaim, type MirrorClaimLoss } from './repo-mirror.js';
import { endLiveTags, inTagMoveTransaction, moveTag, tagAlive } from './tags.js';

/**
 * The last step of a mirror sync: the tags of a MIRROR repository follow the remote in one
 * transaction, so readers see either the state before the sync or the state after it, never a
 * tag pointing at something half copied.
 */

export interface MirrorTagMove {
  tag: string;
  /** A manifest the sync stored in the repository by digest. */
  digest: string;
}

export interface MirrorTagChanges {
  /** Tags now pointing at their remote manifest (including those that already did). */
  moved: string[];
  /** Live tags ended because the remote no longer has them (or they no longer match). */
  removed: string[];
  /** Tags whose manifest garbage collection deleted before the move: left as they were. */
  vanished: string[];
}

/** A sync's result was not applied: its claim ended (cancelled, taken over) or the repository left the MIRROR state. */
export class MirrorApplyRefused extends Error {
  constructor(readonly why: MirrorClaimLoss) {
    super(
      why === 'left-mirror'
        ? 'the repository left the MIRROR state; no tag changed'
        : 'the sync was cancelled before its tags moved; no tag changed',
    );
  }
}

/** The repository's live, visible tag names, sorted. */
export async function liveTagNames(db: Kysely<Database> | Transaction<Database>, repositoryId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('tag')
    .select('name')
    .where('repository_id', '=', repositoryId)
    .where('hidden', '=', 0)
    .where(tagAlive(nowMs()))
    .orderBy('name')
    .execute();
  return rows.map((r) => r.name);
}

/** The repository's live, visible tags and the digests they point at. */
export async function liveTagDigests(db: Kysely<Database>, repositoryId: number): Promise<Map<string, string>> {
  const rows = await db
    .selectFrom('tag')
    .innerJoin('manifest', 'manifest.id', 'tag.manifest_id')
    .select(['tag.name as name', 'manifest.digest as digest'])
    .where('tag.repository_id', '=', repositoryId)
    .where('tag.hidden', '=', 0)
    .where(tagAlive(nowMs()))
    .execute();
  return new Map(rows.map((r) => [r.name, r.digest]));
}

/** The stored manifest `digest`, share-locked on PostgreSQL so garbage collection cannot take it before the commit. */
async function lockedManifest(trx: Transaction<Database>, repositoryId: number, digest: string) {
  let query = trx
    .selectFrom('manifest')
    .select(['id', 'media_type'])
    .where('repository_id', '=', repositoryId)
    .where('digest', '=', digest)
    .where('deleted_at', 'is', null);
  if (onPostgres(trx)) query = query.forShare();
  return query.executeTakeFirst();
}

/**
 * Moves each tag of `moves` to its manifest and ends every other live tag not named in `keep`
 * (the tags the mirror's patterns matched on the remote: those whose copy failed keep their
 * previous manifest). One transaction, made by the sync holding claim `transactionId`: it first
 * renews the push hold of the target manifests (the write that locks them against garbage
 * collection, and on SQLite takes the writer lock), then checks that the claim still holds and
 * the repository is still a mirror, else throws MirrorApplyRefused and changes nothing.
 */
export async function applyMirrorTags(
  db: Kysely<Database>,
  repositoryId: number,
  transactionId: string,
  moves: readonly MirrorTagMove[],
  keep: readonly string[],
): Promise<MirrorTagChanges> {
  const kept = new Set([...keep, ...moves.map((m) => m.tag)]);
  return inTagMoveTransaction(db, async (trx) => {
    const now = nowMs();
    await renewManifestHolds(trx, repositoryId, moves.map((m) => m.digest), now);
    const loss = await holdMirrorClaim(trx, repositoryId, transactionId);
    if (loss) throw new MirrorApplyRefused(loss);
    const changes: MirrorTagChanges = { moved: [], removed: [], vanished: [] };
    for (const move of moves) {
      const manifest = await lockedManifest(trx, repositoryId, move.digest);
      if (!manifest) {
        changes.vanished.push(move.tag);
        continue;
      }
      const expiresAfterMs = await labelledTagLifetimeMs(trx, manifest.id, isIndexMediaType(manifest.media_type));
      await moveTag(trx, repositoryId, move.tag, manifest.id, { expiresAfterMs });
      changes.moved.push(move.tag);
    }
    const stale = (await liveTagNames(trx, repositoryId)).filter((name) => !kept.has(name));
    await endLiveTags(trx, repositoryId, stale, now);
    changes.removed = stale;
    return changes;
  });
}
