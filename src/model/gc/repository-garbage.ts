import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../../db/migrations/column-types.js';
import type { Database } from '../../db/tables.js';
import type { Storage } from '../../storage/storage.js';
import { addDeletedRows, collectBlobsReporting, type DeletedRows, mergeDeletedRows } from './blobs.js';
import { tagPastTimeMachine } from '../tags.js';
import { collectRepositoryManifests, untaggedAndUnlisted } from './manifests.js';
import { deleteTagsPastTimeMachine } from './tags.js';

/**
 * One repository's garbage (Quay's garbage_collect_repo): tag rows past the time machine, the
 * manifests nothing references any more, then the blobs those manifests used.
 */

export interface RepositoryGarbageDeps {
  db: Kysely<Database>;
  dialect: Dialect;
  storage: Storage;
  /** PUSH_TEMP_TAG_EXPIRATION_SEC in milliseconds: how long a PUT keeps a manifest. */
  pushHoldMs: number;
}

export interface RepositoryWithGarbage {
  id: number;
  namespaceId: number;
  /** The namespace's removed_tag_expiration_s in milliseconds. */
  timeMachineMs: number;
}

export interface RepositoryGarbageReport {
  manifestsDeleted: number;
  storageBlobsDeleted: number;
  rowsDeleted: DeletedRows;
  failures: unknown[];
}

export async function collectRepositoryGarbage(
  deps: RepositoryGarbageDeps,
  repo: RepositoryWithGarbage,
  now: number,
): Promise<RepositoryGarbageReport> {
  const rowsDeleted: DeletedRows = {};
  addDeletedRows(rowsDeleted, 'tag', await deleteTagsPastTimeMachine(deps.db, repo.id, now - repo.timeMachineMs));
  const manifests = await collectRepositoryManifests(deps, repo.id, now - deps.pushHoldMs);
  mergeDeletedRows(rowsDeleted, manifests.rowsDeleted);
  const blobs = await collectBlobsReporting(deps, [...manifests.blobIds]);
  mergeDeletedRows(rowsDeleted, blobs.rowsDeleted);
  return {
    manifestsDeleted: manifests.manifestsDeleted,
    storageBlobsDeleted: blobs.storageBlobsDeleted,
    rowsDeleted,
    failures: blobs.failures.map((f) => f.error),
  };
}

function repositoriesToCollect(db: Kysely<Database>) {
  return db
    .selectFrom('repository')
    .innerJoin('namespace', 'namespace.id', 'repository.namespace_id')
    .select(['repository.id as id', 'repository.namespace_id as namespace_id', 'namespace.removed_tag_expiration_s as window_s'])
    .where('repository.state', '!=', 'MARKED_FOR_DELETION');
}

function toRepository(row: { id: number; namespace_id: number; window_s: number }): RepositoryWithGarbage {
  return { id: row.id, namespaceId: row.namespace_id, timeMachineMs: Number(row.window_s) * 1000 };
}

/**
 * Up to `limit` repositories with a tag row past its namespace's time machine, in random order so
 * that several collectors spread over them (repositories marked for deletion are left to the
 * repositorygc worker).
 */
export async function repositoriesWithExpiredTags(db: Kysely<Database>, now: number, limit: number): Promise<RepositoryWithGarbage[]> {
  // bigint arithmetic: on PostgreSQL the window column is a 32-bit integer.
  const cutoff = sql<number>`cast(${now} as bigint) - cast(namespace.removed_tag_expiration_s as bigint) * 1000`;
  const rows = await repositoriesToCollect(db)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('tag')
          .select('tag.id')
          .whereRef('tag.repository_id', '=', 'repository.id')
          .where(tagPastTimeMachine(cutoff)),
      ),
    )
    .orderBy(sql`random()`)
    .limit(limit)
    .execute();
  return rows.map(toRepository);
}

/**
 * Repositories holding a manifest that no tag or index references, PUT in (`after`, `upTo`]:
 * manifests pushed by digest and never tagged, whose hold has run out since the last look. Scans
 * at most `limit` such manifests in pushed_at order and stops before the manifests of a
 * repository beyond the first `repositoryLimit`; `scannedUpTo` is where the next look starts.
 */
export async function repositoriesWithUntaggedManifests(
  db: Kysely<Database>,
  after: number,
  upTo: number,
  limit: number,
  repositoryLimit: number,
): Promise<{ repositories: RepositoryWithGarbage[]; scannedUpTo: number }> {
  const manifests = await db
    .selectFrom('manifest')
    .innerJoin('repository', 'repository.id', 'manifest.repository_id')
    .select(['manifest.repository_id', 'manifest.pushed_at'])
    .where('repository.state', '!=', 'MARKED_FOR_DELETION')
    .where('manifest.pushed_at', '>', after)
    .where('manifest.pushed_at', '<=', upTo)
    .where(untaggedAndUnlisted)
    .orderBy('manifest.pushed_at')
    .limit(limit)
    .execute();
  // A full batch, or one cut at `repositoryLimit` repositories, may stop inside one millisecond:
  // the next look starts at that millisecond again.
  const ids = new Set<number>();
  let scannedUpTo = manifests.length < limit ? upTo : Math.max(after, Number(manifests.at(-1)!.pushed_at) - 1);
  for (const manifest of manifests) {
    if (!ids.has(manifest.repository_id) && ids.size === repositoryLimit) {
      scannedUpTo = Math.max(after, Number(manifest.pushed_at) - 1);
      break;
    }
    ids.add(manifest.repository_id);
  }
  if (ids.size === 0) return { repositories: [], scannedUpTo };
  const rows = await repositoriesToCollect(db).where('repository.id', 'in', [...ids]).execute();
  return { repositories: rows.map(toRepository), scannedUpTo };
}

/** Keeps repository GC lock ids apart from other advisory locks (tags.ts uses the two-key form). */
const GC_LOCK_SPACE = 0x6763; // "gc"

/**
 * Runs `work` while holding the repository's GC lock, or returns undefined without running it
 * when another collector holds it (PostgreSQL: a session advisory lock on a connection of its own,
 * so the work's transactions may use any connection). Correctness does not depend on it (rows are
 * locked one by one); it keeps several GC processes from doing the same repository's work twice.
 * SQLite has a single connection per process, which the work needs: no lock there.
 */
export async function withRepositoryGcLock<T>(
  db: Kysely<Database>,
  dialect: Dialect,
  repositoryId: number,
  work: () => Promise<T>,
): Promise<T | undefined> {
  if (dialect !== 'postgres') return work();
  const key = sql<number>`(${GC_LOCK_SPACE}::bigint << 32) + ${repositoryId}`;
  return db.connection().execute(async (conn) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}) as locked`.execute(conn);
    if (!rows[0]?.locked) return undefined;
    try {
      return await work();
    } finally {
      await sql`select pg_advisory_unlock(${key})`.execute(conn);
    }
  });
}
