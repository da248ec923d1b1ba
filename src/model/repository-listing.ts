import { type Kysely, sql } from 'kysely';
import type { Database, NamespaceKind, RepositoryState, RepositoryVisibility } from '../db/tables.js';
import { nowMs } from './clock.js';
import { DAY_MS } from './quay-date.js';
import { grantedBy, type RepositoryListScope, readableBy } from './repositories.js';
import { tagAlive } from './tags.js';

/**
 * The repository listing of the REST API (Quay's GET /api/v1/repository) and the figures it can
 * add per repository: last modification, popularity, stars, daily action counts.
 *
 * Pages are keyset pages in (namespace name, repository name) order: a page starts after the last
 * repository of the previous one, so page N costs what page 1 costs however many come before it.
 */

/** Where a page of the listing ends: the next page starts after this repository. */
export interface RepositoryListPosition {
  namespace: string;
  name: string;
}

export interface RepositoryListOptions {
  scope: RepositoryListScope;
  /** Only repositories in this namespace. */
  namespace?: string | undefined;
  /** Also list repositories the caller may read only because they are public. */
  includePublic: boolean;
  /** Only repositories this user has starred (readable ones, public included). */
  starredBy?: number | undefined;
  after?: RepositoryListPosition | undefined;
  limit: number;
}

export interface RepositoryListEntry {
  id: number;
  namespace: string;
  namespaceKind: NamespaceKind;
  name: string;
  description: string | null;
  visibility: RepositoryVisibility;
  state: RepositoryState;
}

export interface RepositoryListPage {
  repositories: RepositoryListEntry[];
  /** Present when more repositories follow the last one returned. */
  next?: RepositoryListPosition;
}

/** The log kinds that count as use of a repository for popularity and statistics. */
export const REPOSITORY_ACTION_KINDS = ['pull_repo', 'push_repo'] as const;

/** Quay's popularity window: actions of the last week. */
export const POPULARITY_WINDOW_MS = 7 * DAY_MS;

/** One page of the repositories the scope may read. */
export async function listRepositoriesPage(db: Kysely<Database>, options: RepositoryListOptions): Promise<RepositoryListPage> {
  const { scope, after, starredBy } = options;
  let query = db
    .selectFrom('repository')
    .innerJoin('namespace', 'namespace.id', 'repository.namespace_id')
    .select([
      'repository.id as id',
      'namespace.name as namespace',
      'namespace.kind as namespaceKind',
      'repository.name as name',
      'repository.description as description',
      'repository.visibility as visibility',
      'repository.state as state',
    ])
    .where('repository.state', '!=', 'MARKED_FOR_DELETION')
    .where('namespace.enabled', '=', 1);
  const inNamespace = options.namespace;
  if (inNamespace !== undefined) {
    // A constant namespace id lets the (namespace_id, name) index serve both filter and order.
    query = query.where('repository.namespace_id', '=', (eb) =>
      eb.selectFrom('namespace as listed').select('listed.id').where('listed.name', '=', inNamespace),
    );
  }
  if (starredBy !== undefined) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom('star')
          .select('star.repository_id')
          .whereRef('star.repository_id', '=', 'repository.id')
          .where('star.user_id', '=', starredBy),
      ),
    );
  }
  if (!scope.all) {
    const withPublic = options.includePublic || starredBy !== undefined;
    query = query.where((eb) => (withPublic ? readableBy(eb, db, scope) : grantedBy(eb, db, scope)));
  }
  if (inNamespace !== undefined) {
    // A token from another namespace's listing continues nothing here.
    if (after && after.namespace !== inNamespace) return { repositories: [] };
    if (after) query = query.where('repository.name', '>', after.name);
    query = query.orderBy('repository.name');
  } else {
    if (after) {
      // The redundant `>=` lets the planner start its namespace range at the token.
      query = query.where('namespace.name', '>=', after.namespace).where((eb) =>
        eb.or([
          eb('namespace.name', '>', after.namespace),
          eb.and([eb('namespace.name', '=', after.namespace), eb('repository.name', '>', after.name)]),
        ]),
      );
    }
    query = query.orderBy('namespace.name').orderBy('repository.name');
  }
  const rows = await query.limit(options.limit + 1).execute();
  const repositories = rows.slice(0, options.limit);
  const last = repositories.at(-1);
  if (rows.length <= options.limit || !last) return { repositories };
  return { repositories, next: { namespace: last.namespace, name: last.name } };
}

/** When each repository last changed: the newest start of a live tag, in milliseconds. */
export async function lastModifiedTimes(db: Kysely<Database>, repositoryIds: readonly number[]): Promise<Map<number, number>> {
  if (repositoryIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('tag')
    .select(['repository_id', (eb) => eb.fn.max('lifetime_start_ms').as('newest')])
    .where('repository_id', 'in', [...repositoryIds])
    .where(tagAlive(nowMs()))
    .where('hidden', '=', 0)
    .groupBy('repository_id')
    .execute();
  return new Map(rows.map((r) => [r.repository_id, Number(r.newest)]));
}

/**
 * Popularity: pulls and pushes of each repository since `sinceMs`, counted from the usage logs
 * (log_entry_repository index) for just the given repositories. Absent ids had none.
 */
export async function recentActionCounts(
  db: Kysely<Database>,
  repositoryIds: readonly number[],
  sinceMs: number,
): Promise<Map<number, number>> {
  if (repositoryIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('log_entry')
    .select(['repository_id', (eb) => eb.fn.countAll().as('actions')])
    .where('repository_id', 'in', [...repositoryIds])
    .where('datetime_ms', '>=', sinceMs)
    .where('kind', 'in', [...REPOSITORY_ACTION_KINDS])
    .groupBy('repository_id')
    .execute();
  const counts = new Map<number, number>();
  for (const row of rows) if (row.repository_id !== null) counts.set(Number(row.repository_id), Number(row.actions));
  return counts;
}

export interface DailyActionCount {
  /** Start of the UTC day, in milliseconds. */
  dayMs: number;
  count: number;
}

/** Pulls and pushes of one repository per UTC day since `sinceMs`, days without any left out. */
export async function dailyActionCounts(db: Kysely<Database>, repositoryId: number, sinceMs: number): Promise<DailyActionCount[]> {
  const day = sql<number>`${sql.ref('datetime_ms')} / ${sql.lit(DAY_MS)}`;
  const rows = await db
    .selectFrom('log_entry')
    .select([day.as('day'), (eb) => eb.fn.countAll().as('actions')])
    .where('repository_id', '=', repositoryId)
    .where('datetime_ms', '>=', sinceMs)
    .where('kind', 'in', [...REPOSITORY_ACTION_KINDS])
    .groupBy(day)
    .execute();
  return rows.map((r) => ({ dayMs: Math.floor(Number(r.day)) * DAY_MS, count: Number(r.actions) }));
}

/** Which of the repositories `userId` has starred. */
export async function starredAmong(db: Kysely<Database>, userId: number, repositoryIds: readonly number[]): Promise<Set<number>> {
  if (repositoryIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('star')
    .select('repository_id')
    .where('user_id', '=', userId)
    .where('repository_id', 'in', [...repositoryIds])
    .execute();
  return new Set(rows.map((r) => r.repository_id));
}
