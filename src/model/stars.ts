import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { nowMs } from './clock.js';

/** Stars: a user marks repositories to find them again (Quay's Star). Starring twice is one star. */

export async function starRepository(db: Kysely<Database>, userId: number, repositoryId: number): Promise<void> {
  await db
    .insertInto('star')
    .values({ user_id: userId, repository_id: repositoryId, created_at: nowMs() })
    .onConflict((oc) => oc.columns(['user_id', 'repository_id']).doNothing())
    .execute();
}

export async function unstarRepository(db: Kysely<Database>, userId: number, repositoryId: number): Promise<void> {
  await db.deleteFrom('star').where('user_id', '=', userId).where('repository_id', '=', repositoryId).execute();
}

export async function isStarred(db: Kysely<Database>, userId: number, repositoryId: number): Promise<boolean> {
  const row = await db
    .selectFrom('star')
    .select('repository_id')
    .where('user_id', '=', userId)
    .where('repository_id', '=', repositoryId)
    .executeTakeFirst();
  return row !== undefined;
}
