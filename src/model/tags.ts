import { onPostgres } from '../db/dialect-of.js';
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql, type Transaction } from 'kysely';
import type { Database } from '../db/tables.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { Invalid, NotFound } from '../errors.js';
import { nowMs } from './clock.js';
import { sqlListChunks } from './sql-lists.js';

type Db = Kysely<Database> | Transaction<Database>;

/**
 * The condition for a live tag at `now`: not ended, and not past its expiry. Every reader of live
 * tags uses it, because an expired tag keeps lifetime_end_ms NULL until something ends it.
 */
export function tagAlive(now: number) {
  return (eb: ExpressionBuilder<Database, 'tag'>): Expression<SqlBool> =>
    eb.and([
      eb('tag.lifetime_end_ms', 'is', null),
      eb.or([eb('tag.expires_at_ms', 'is', null), eb('tag.expires_at_ms', '>', now)]),
    ]);
}

/**
 * The condition for a tag row that has left the time machine: it ended (lifetime_end_ms) or, not
 * ended, expired (expires_at_ms) at or before `cutoff` (now minus the namespace's window). Garbage
 * collection deletes such rows; restore accepts only the others (tagWithinTimeMachine).
 */
export function tagPastTimeMachine(cutoff: number | Expression<number>) {
  return (eb: ExpressionBuilder<Database, 'tag'>): Expression<SqlBool> =>
    eb.or([
      eb('tag.lifetime_end_ms', '<=', cutoff),
      eb.and([eb('tag.lifetime_end_ms', 'is', null), eb('tag.expires_at_ms', '<=', cutoff)]),
    ]);
}

/** The negation of tagPastTimeMachine: live, or ended or expired after `cutoff`. */
export function tagWithinTimeMachine(cutoff: number) {
  return (eb: ExpressionBuilder<Database, 'tag'>): Expression<SqlBool> =>
    eb.or([
      eb('tag.lifetime_end_ms', '>', cutoff),
      eb.and([eb('tag.lifetime_end_ms', 'is', null), eb.or([eb('tag.expires_at_ms', 'is', null), eb('tag.expires_at_ms', '>', cutoff)])]),
    ]);
}

/** When a row whose lifetime_end_ms is NULL really ended (or ends): its expiry if past, else `now`. */
function endOf(expiresAtMs: number | null, now: number): number {
  return expiresAtMs !== null && expiresAtMs <= now ? expiresAtMs : now;
}

/** A tag name, as the registry accepts it. */
export const TAG_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function validateTagName(name: string): void {
  if (!TAG_NAME.test(name)) {
    throw new Invalid('tag', `invalid tag "${name}": up to 128 letters, digits, _ . - (not starting with . or -)`);
  }
}

export interface MoveTagOptions {
  /** The new row expires this long after it starts (the quay.expires-after label); none when absent or null. */
  expiresAfterMs?: number | null;
  /** The new row restores an earlier manifest (the time machine). */
  reversion?: boolean;
}

/** What a tag pointed at before a move: its manifest, or null when the tag was not live (a create). */
export interface TagMove {
  previousManifestId: number | null;
  previousManifestDigest: string | null;
}

/**
 * Serializes moves of one tag on PostgreSQL for the rest of the transaction. A row lock cannot do
 * it: when the tag has no live row there is nothing to lock, and a locked row that a concurrent
 * move ended no longer matches. SQLite runs one write transaction at a time anyway.
 */
async function lockTagName(trx: Transaction<Database>, repositoryId: number, name: string): Promise<void> {
  if (onPostgres(trx)) {
    await sql`select pg_advisory_xact_lock(${repositoryId}, hashtext(${name}))`.execute(trx);
  }
}

/**
 * Points tag `name` at a manifest: the live row (if any, and if it points elsewhere) ends now and a
 * new live row starts, so the history stays available to the time machine. Returns what the tag
 * pointed at before, as seen inside the transaction. Run the transaction with inTagMoveTransaction,
 * which retries it once when a concurrent move of the same tag won the race.
 */
export async function moveTag(
  trx: Transaction<Database>,
  repositoryId: number,
  name: string,
  manifestId: number,
  options: MoveTagOptions = {},
): Promise<TagMove> {
  await lockTagName(trx, repositoryId, name);
  const now = nowMs();
  const current = await trx
    .selectFrom('tag')
    .innerJoin('manifest', 'manifest.id', 'tag.manifest_id')
    .select(['tag.id as id', 'tag.manifest_id as manifest_id', 'tag.expires_at_ms as expires_at_ms', 'tag.hidden as hidden', 'manifest.digest as digest'])
    .where('tag.repository_id', '=', repositoryId)
    .where('tag.name', '=', name)
    .where('tag.lifetime_end_ms', 'is', null)
    .executeTakeFirst();
  const alive = current !== undefined && (current.expires_at_ms === null || Number(current.expires_at_ms) > now);
  const previous: TagMove =
    alive && Number(current.hidden) === 0
      ? { previousManifestId: current.manifest_id, previousManifestDigest: current.digest }
      : { previousManifestId: null, previousManifestDigest: null };
  if (alive && current.manifest_id === manifestId) return previous;
  if (current) {
    const end = endOf(current.expires_at_ms === null ? null : Number(current.expires_at_ms), now);
    await trx.updateTable('tag').set({ lifetime_end_ms: end }).where('id', '=', current.id).execute();
  }
  await trx
    .insertInto('tag')
    .values({
      repository_id: repositoryId,
      name,
      manifest_id: manifestId,
      lifetime_start_ms: now,
      lifetime_end_ms: null,
      hidden: 0,
      expires_at_ms: options.expiresAfterMs ? now + options.expiresAfterMs : null,
      reversion: options.reversion ? 1 : 0,
    })
    .execute();
  return previous;
}

/**
 * Runs `work` (which moves a tag, and may store the manifest it points at) in a transaction, and
 * once more in a fresh one when it broke a unique index: a concurrent move of the same tag, or a
 * concurrent push of the same manifest, committed first. The second attempt sees that commit.
 */
export async function inTagMoveTransaction<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  try {
    return await db.transaction().execute(work);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return db.transaction().execute(work);
  }
}

/** Ends the live, visible tag; throws NotFound('tag') when there is none (hidden tags are never the user's). */
export async function deleteTag(db: Kysely<Database>, repositoryId: number, name: string): Promise<void> {
  if ((await endLiveTags(db, repositoryId, [name], nowMs())) === 0) {
    throw new NotFound('tag', `tag ${name} is unknown`, { reference: name });
  }
}

/** Ends the live, visible tags named `names` at `now`; how many it ended. */
export async function endLiveTags(db: Db, repositoryId: number, names: readonly string[], now: number): Promise<number> {
  let ended = 0;
  for (const chunk of sqlListChunks(names)) {
    const result = await db
      .updateTable('tag')
      .set({ lifetime_end_ms: now })
      .where('repository_id', '=', repositoryId)
      .where('name', 'in', chunk)
      .where('hidden', '=', 0)
      .where(tagAlive(now))
      .executeTakeFirst();
    ended += Number(result.numUpdatedRows);
  }
  return ended;
}

/** Live, visible tag names in lexical order, after `last`, at most `limit`. */
export async function listTagNames(db: Db, repositoryId: number, options: { limit: number; last?: string | undefined }): Promise<string[]> {
  let query = db
    .selectFrom('tag')
    .select('name')
    .where('repository_id', '=', repositoryId)
    .where(tagAlive(nowMs()))
    .where('hidden', '=', 0);
  if (options.last !== undefined) query = query.where('name', '>', options.last);
  const rows = await query.orderBy('name').limit(options.limit).execute();
  return rows.map((r) => r.name);
}

/** A live, visible tag and what it points at. */
export interface LiveTag {
  id: number;
  name: string;
  manifestId: number;
  manifestDigest: string;
  startMs: number;
  expiresAtMs: number | null;
}

/** The live, visible tag `name` (what Quay's API calls the repository's tag), or undefined. */
export async function findLiveTag(db: Db, repositoryId: number, name: string): Promise<LiveTag | undefined> {
  const row = await db
    .selectFrom('tag')
    .innerJoin('manifest', 'manifest.id', 'tag.manifest_id')
    .select([
      'tag.id as id',
      'tag.name as name',
      'tag.manifest_id as manifestId',
      'manifest.digest as manifestDigest',
      'tag.lifetime_start_ms as startMs',
      'tag.expires_at_ms as expiresAtMs',
    ])
    .where('tag.repository_id', '=', repositoryId)
    .where('tag.name', '=', name)
    .where('tag.hidden', '=', 0)
    .where(tagAlive(nowMs()))
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    ...row,
    startMs: Number(row.startMs),
    expiresAtMs: row.expiresAtMs === null ? null : Number(row.expiresAtMs),
  };
}

/** The shortest and longest lifetime an expiry set through the API may give a tag (LABELED_EXPIRATION_*). */
export interface ExpiryBounds {
  minimumMs: number;
  maximumMs: number;
}

/**
 * Sets (or, with null, clears) when a live tag expires. As in Quay, the tag's lifetime from its
 * start is clamped into `bounds`. Returns the expiry it had before; throws Invalid when the tag
 * changed meanwhile.
 */
export async function changeTagExpiration(
  db: Kysely<Database>,
  tag: LiveTag,
  expiresAtMs: number | null,
  bounds: ExpiryBounds,
): Promise<{ previousMs: number | null; expiresAtMs: number | null }> {
  const newExpiry =
    expiresAtMs === null
      ? null
      : tag.startMs + Math.min(Math.max(expiresAtMs - tag.startMs, bounds.minimumMs), bounds.maximumMs);
  const result = await db
    .updateTable('tag')
    .set({ expires_at_ms: newExpiry })
    .where('id', '=', tag.id)
    .where('lifetime_end_ms', 'is', null)
    .where('expires_at_ms', tag.expiresAtMs === null ? 'is' : '=', tag.expiresAtMs)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new Invalid('tag', 'Could not update tag expiration; Tag has probably changed');
  return { previousMs: tag.expiresAtMs, expiresAtMs: newExpiry };
}
