import { type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SqlBool, sql } from 'kysely';
import type { Database, RepositoryTable, RepositoryVisibility } from '../db/tables.js';
import { Invalid, NotFound } from '../errors.js';
import { nowMs } from './clock.js';

export type Repository = Selectable<RepositoryTable>;

export interface RepositoryRef {
  namespace: string;
  /** The repository name within the namespace; may contain '/' (nested repositories). */
  name: string;
}

export interface RepositoryWithNamespace extends Repository {
  namespace_name: string;
  namespace_kind: string;
  namespace_enabled: number;
}

/** One path component of a repository name (the OCI distribution grammar). */
export const REPOSITORY_NAME_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;

export function formatRepositoryRef(ref: RepositoryRef): string {
  return `${ref.namespace}/${ref.name}`;
}

/**
 * Splits an OCI repository path into namespace and repository name. A single-component path lives
 * in the library namespace when one is given (Quay's LIBRARY_NAMESPACE).
 */
export function parseRepositoryPath(path: string, libraryNamespace?: string): RepositoryRef {
  const parts = path.split('/');
  if (path.length > 255 || parts.some((p) => !REPOSITORY_NAME_COMPONENT.test(p))) {
    throw new Invalid('name', `invalid repository name "${path}"`);
  }
  if (parts.length === 1) {
    if (!libraryNamespace) throw new Invalid('name', `repository name "${path}" needs a namespace: use namespace/name`);
    return { namespace: libraryNamespace, name: path };
  }
  return { namespace: parts[0]!, name: parts.slice(1).join('/') };
}

/**
 * The live repository `ref` joined with its namespace, as a query that hot paths may extend with
 * more joins so that one round trip fetches the repository and what the request is about.
 */
export function repositoryQuery(db: Kysely<Database>, ref: RepositoryRef) {
  return db
    .selectFrom('repository')
    .innerJoin('namespace', 'namespace.id', 'repository.namespace_id')
    .selectAll('repository')
    .select([
      'namespace.name as namespace_name',
      'namespace.kind as namespace_kind',
      'namespace.enabled as namespace_enabled',
    ])
    .where('namespace.name', '=', ref.namespace)
    .where('repository.name', '=', ref.name)
    .where('repository.state', '!=', 'MARKED_FOR_DELETION');
}

export async function findRepository(
  db: Kysely<Database>,
  ref: RepositoryRef,
): Promise<RepositoryWithNamespace | undefined> {
  return repositoryQuery(db, ref).executeTakeFirst();
}

export async function getRepository(db: Kysely<Database>, ref: RepositoryRef): Promise<RepositoryWithNamespace> {
  const repo = await findRepository(db, ref);
  if (!repo) throw new NotFound('repository', `repository ${formatRepositoryRef(ref)} not found`);
  return repo;
}

export async function findRepositoryRefById(db: Kysely<Database>, id: number): Promise<RepositoryRef | undefined> {
  return db
    .selectFrom('repository')
    .innerJoin('namespace', 'namespace.id', 'repository.namespace_id')
    .select(['namespace.name as namespace', 'repository.name as name'])
    .where('repository.id', '=', id)
    .executeTakeFirst();
}

/** Creates the repository if absent (a push to a new name); concurrent creators get the same row. */
export async function ensureRepository(
  db: Kysely<Database>,
  namespaceId: number,
  ref: RepositoryRef,
  visibility: RepositoryVisibility,
): Promise<RepositoryWithNamespace> {
  const existing = await findRepository(db, ref);
  if (existing) return existing;
  await db
    .insertInto('repository')
    .values({
      namespace_id: namespaceId,
      name: ref.name,
      visibility,
      state: 'NORMAL',
      description: null,
      created_at: nowMs(),
    })
    .onConflict((oc) => oc.columns(['namespace_id', 'name']).doNothing())
    .execute();
  return getRepository(db, ref);
}

/**
 * Which repositories a caller may list: everything, or public ones plus those in the given
 * namespaces plus those `memberId` (a user or robot) holds a permission on, directly or via a team.
 */
export type RepositoryListScope = { all: true } | { all: false; namespaceIds: number[]; memberId?: number };

/**
 * What grants the scope a repository apart from public visibility: the repository is in one of
 * the scope's namespaces, or `memberId` holds a permission on it, directly or through a team.
 */
function grantConditions(
  eb: ExpressionBuilder<Database, 'repository'>,
  db: Kysely<Database>,
  scope: Extract<RepositoryListScope, { all: false }>,
): Expression<SqlBool>[] {
  const granted: Expression<SqlBool>[] = [];
  if (scope.namespaceIds.length > 0) granted.push(eb('repository.namespace_id', 'in', scope.namespaceIds));
  if (scope.memberId !== undefined) {
    const memberId = scope.memberId;
    const teams = db.selectFrom('team_member').select('team_id').where('team_member.member_id', '=', memberId);
    granted.push(
      eb.exists(
        eb
          .selectFrom('repository_permission')
          .select('repository_permission.id')
          .whereRef('repository_permission.repository_id', '=', 'repository.id')
          .where((p) => p.or([p('repository_permission.member_id', '=', memberId), p('repository_permission.team_id', 'in', teams)])),
      ),
    );
  }
  return granted;
}

/** The filter a RepositoryListScope puts on a query over `repository`. */
export function readableBy(
  eb: ExpressionBuilder<Database, 'repository'>,
  db: Kysely<Database>,
  scope: Extract<RepositoryListScope, { all: false }>,
): Expression<SqlBool> {
  return eb.or([eb('repository.visibility', '=', 'public'), ...grantConditions(eb, db, scope)]);
}

/** The part of that filter that comes from rights rather than public visibility. */
export function grantedBy(
  eb: ExpressionBuilder<Database, 'repository'>,
  db: Kysely<Database>,
  scope: Extract<RepositoryListScope, { all: false }>,
): Expression<SqlBool> {
  const granted = grantConditions(eb, db, scope);
  return granted.length > 0 ? eb.or(granted) : sql<SqlBool>`1 = 0`;
}

/** Repository paths ("ns/name") in lexical order after `last`, limited to what the scope allows. */
export async function listRepositoryPaths(
  db: Kysely<Database>,
  options: { limit: number; last?: string | undefined; scope: RepositoryListScope },
): Promise<string[]> {
  const path = sql<string>`${sql.ref('namespace.name')} || '/' || ${sql.ref('repository.name')}`;
  let query = db
    .selectFrom('repository')
    .innerJoin('namespace', 'namespace.id', 'repository.namespace_id')
    .select(path.as('path'))
    .where('repository.state', '!=', 'MARKED_FOR_DELETION')
    .where('namespace.enabled', '=', 1);
  const { scope } = options;
  if (!scope.all) query = query.where((eb) => readableBy(eb, db, scope));
  if (options.last) query = query.where(path, '>', options.last);
  const rows = await query.orderBy(path).limit(options.limit).execute();
  return rows.map((r) => r.path);
}
