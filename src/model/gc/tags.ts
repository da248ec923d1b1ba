import type { Kysely } from 'kysely';
import type { Database } from '../../db/tables.js';
import { tagPastTimeMachine } from '../tags.js';

const TAG_BATCH = 500;

/**
 * Deletes the repository's tag rows that left the time machine (tagPastTimeMachine) at `cutoff`,
 * which is now minus the namespace's removed_tag_expiration_s. Hidden tags too. Returns how many
 * rows went. Restore (model/tag-history.ts) accepts only the others (tagWithinTimeMachine).
 */
export async function deleteTagsPastTimeMachine(db: Kysely<Database>, repositoryId: number, cutoff: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const batch = await db
      .selectFrom('tag')
      .select('id')
      .where('repository_id', '=', repositoryId)
      .where(tagPastTimeMachine(cutoff))
      .limit(TAG_BATCH)
      .execute();
    if (batch.length === 0) return deleted;
    // Deleting by id is idempotent: two collectors on one repository simply share the rows.
    const result = await db
      .deleteFrom('tag')
      .where(
        'id',
        'in',
        batch.map((t) => t.id),
      )
      .executeTakeFirst();
    deleted += Number(result.numDeletedRows);
    if (batch.length < TAG_BATCH) return deleted;
  }
}
