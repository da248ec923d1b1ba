import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { Conflict, Invalid } from '../errors.js';
import type { Database, NamespaceKind, NamespaceTable } from '../db/tables.js';
import { nowMs } from './clock.js';

export type Namespace = Selectable<NamespaceTable>;

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

export async function findNamespace(db: Kysely<Database>, name: string): Promise<Namespace | undefined> {
  return db.selectFrom('namespace').selectAll().where('name', '=', name).executeTakeFirst();
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
