import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';

/** Live rows of the tables operators watch (the quay_*_rows gauges). */
export interface RowCounts {
  users: number;
  robots: number;
  organizations: number;
  repositories: number;
  /** Manifests still served; with no security scanner yet, every one of them is unscanned. */
  manifests: number;
}

/**
 * Counts accounts by kind and repositories and manifests, leaving out what a deletion has marked
 * for the garbage collector (deleted namespaces, repositories marked for deletion or in a deleted
 * namespace, deleted manifests). Three queries; callers cache the result.
 */
export async function countRows(db: Kysely<Database>): Promise<RowCounts> {
  const [kinds, repositories, manifests] = await Promise.all([
    db
      .selectFrom('namespace')
      .select((eb) => ['kind', eb.fn.countAll<number | string>().as('count')])
      .where('deleted_at', 'is', null)
      .groupBy('kind')
      .execute(),
    db
      .selectFrom('repository')
      .innerJoin('namespace', 'namespace.id', 'repository.namespace_id')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('repository.state', '!=', 'MARKED_FOR_DELETION')
      .where('namespace.deleted_at', 'is', null)
      .executeTakeFirstOrThrow(),
    db
      .selectFrom('manifest')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow(),
  ]);
  const byKind = new Map(kinds.map((row) => [row.kind, Number(row.count)]));
  return {
    users: byKind.get('user') ?? 0,
    robots: byKind.get('robot') ?? 0,
    organizations: byKind.get('organization') ?? 0,
    repositories: Number(repositories.count),
    manifests: Number(manifests.count),
  };
}
