import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { Conflict, Invalid } from '../errors.js';
import type { Database, NamespaceKind, NamespaceTable } from '../db/tables.js';
import { nowMs } from './clock.js';
import { enqueue } from './queue.js';

export type Namespace = Selectable<NamespaceTable>;

/** What listings of accounts (users, robots, organizations) need of each: name, kind and e-mail address for its avatar. */
export interface AccountSummary {
  id: number;
  name: string;
  kind: NamespaceKind;
  email: string | null;
}

/** The columns of an AccountSummary, for queries that join `namespace`. */
export const ACCOUNT_SUMMARY_COLUMNS = [
  'namespace.id as id',
  'namespace.name as name',
  'namespace.kind as kind',
  'namespace.email as email',
] as const;

/** The AccountSummary part of a row selected with ACCOUNT_SUMMARY_COLUMNS and more. */
export function accountSummary(row: AccountSummary): AccountSummary {
  return { id: row.id, name: row.name, kind: row.kind, email: row.email };
}

// Quay's namespace rule: lower-case letters, digits, and single separators; 2..255 characters.
const NAMESPACE_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export function validateNamespaceName(name: string): void {
  if (name.length < 2 || name.length > 255 || !NAMESPACE_NAME.test(name)) {
    throw new Invalid(
      'name',
      `invalid namespace name "${name}": use 2-255 lower-case letters, digits and single . _ - separators`,
    );
  }
}

/** A live account by name; deleted accounts (renamed `deleted~<uuid>` until collected) are never found. */
export async function findNamespace(db: Kysely<Database>, name: string): Promise<Namespace | undefined> {
  return db.selectFrom('namespace').selectAll().where('name', '=', name).where('deleted_at', 'is', null).executeTakeFirst();
}

export async function findNamespaceById(db: Kysely<Database>, id: number): Promise<Namespace | undefined> {
  return db.selectFrom('namespace').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface NewNamespace {
  name: string;
  kind: NamespaceKind;
  email?: string | null;
  passwordHash?: string | null;
  removedTagExpirationS: number;
}

export async function createNamespace(db: Kysely<Database>, input: NewNamespace): Promise<Namespace> {
  validateNamespaceName(input.name);
  const existing = await findNamespace(db, input.name);
  if (existing) throw new Conflict(`the name "${input.name}" is already taken`);
  const row = await db
    .insertInto('namespace')
    .values({
      uuid: randomUUID(),
      name: input.name,
      kind: input.kind,
      email: input.email ?? null,
      password_hash: input.passwordHash ?? null,
      enabled: 1,
      removed_tag_expiration_s: input.removedTagExpirationS,
      created_at: nowMs(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return row;
}

/**
 * The step every account deletion shares, as in Quay: the namespace is renamed to
 * `deleted~<its uuid>` (no valid name can equal it, so the name is free again at once), disabled
 * and marked deleted, its e-mail address is released, and a namespacegc item is queued to remove
 * its repositories and the row itself. Run it in the deleting transaction, beside the removal of
 * whatever else lets the account act.
 */
export async function markNamespaceDeleted(trx: Kysely<Database>, namespace: Namespace): Promise<void> {
  await trx
    .updateTable('namespace')
    .set({ name: `deleted~${namespace.uuid}`, email: null, password_hash: null, enabled: 0, deleted_at: nowMs() })
    .where('id', '=', namespace.id)
    .execute();
  await enqueue(trx, 'namespacegc', { namespace_id: namespace.id, original_name: namespace.name });
}
