import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/tables.js';
import { Invalid, NotFound } from '../errors.js';
import { nowMs } from './clock.js';

type Db = Kysely<Database> | Transaction<Database>;

const TAG_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

export function validateTagName(name: string): void {
  if (!TAG_NAME.test(name)) {
    throw new Invalid('tag', `invalid tag "${name}": up to 128 letters, digits, _ . - (not starting with . or -)`);
  }
}

/**
 * Points tag `name` at a manifest: the live row (if any, and if it points elsewhere) ends now and a
 * new live row starts, so the history stays available to the time machine.
 */
export async function moveTag(trx: Transaction<Database>, repositoryId: number, name: string, manifestId: number): Promise<void> {
  const now = nowMs();
  const live = await trx
    .selectFrom('tag')
    .select(['id', 'manifest_id'])
    .where('repository_id', '=', repositoryId)
    .where('name', '=', name)
    .where('lifetime_end_ms', 'is', null)
    .executeTakeFirst();
  if (live?.manifest_id === manifestId) return;
  if (live) await trx.updateTable('tag').set({ lifetime_end_ms: now }).where('id', '=', live.id).execute();
  await trx
    .insertInto('tag')
    .values({
      repository_id: repositoryId,
      name,
      manifest_id: manifestId,
      lifetime_start_ms: now,
      lifetime_end_ms: null,
      hidden: 0,
    })
    .execute();
}

/** Ends the live tag; throws NotFound('tag') when there is none. */
export async function deleteTag(db: Kysely<Database>, repositoryId: number, name: string): Promise<void> {
  const result = await db
    .updateTable('tag')
    .set({ lifetime_end_ms: nowMs() })
    .where('repository_id', '=', repositoryId)
    .where('name', '=', name)
    .where('lifetime_end_ms', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) === 0) throw new NotFound('tag', `tag ${name} is unknown`, { reference: name });
}

/** Live, visible tag names in lexical order, after `last`, at most `limit`. */
export async function listTagNames(db: Db, repositoryId: number, options: { limit: number; last?: string | undefined }): Promise<string[]> {
  let query = db
    .selectFrom('tag')
    .select('name')
    .where('repository_id', '=', repositoryId)
    .where('lifetime_end_ms', 'is', null)
    .where('hidden', '=', 0);
  if (options.last !== undefined) query = query.where('name', '>', options.last);
  const rows = await query.orderBy('name').limit(options.limit).execute();
  return rows.map((r) => r.name);
}
