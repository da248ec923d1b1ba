import { type Kysely, sql } from 'kysely';
import { MAX_PASSWORD_BYTES, hashPassword, passwordTooLong } from '../auth/passwords.js';
import type { QuaysideConfig } from '../config/load.js';
import type { Dialect } from '../db/migrations/column-types.js';
import type { Database } from '../db/tables.js';
import { Conflict, Invalid } from '../errors.js';
import { createNamespace, findNamespace, type Namespace, validateNamespaceName } from './namespaces.js';

export const MIN_PASSWORD_LENGTH = 8;

export interface NewUser {
  name: string;
  password: string;
  email?: string | undefined;
  superuser?: boolean | undefined;
}

const DURATION_UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Parses Quay's duration strings ("0s", "30m", "1d", "2w") into seconds. */
export function parseDurationSeconds(text: string): number {
  const match = /^([0-9]+)([smhdw])$/.exec(text);
  if (!match) throw new Invalid('input', `not a duration: "${text}" (use a number followed by s, m, h, d or w)`);
  return Number(match[1]) * (DURATION_UNIT_SECONDS[match[2]!] ?? 1);
}

// Deliberately loose, like Quay's: one @, no spaces, a dot in the domain.
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

export function validatePassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new Invalid('input', `password must be at least ${MIN_PASSWORD_LENGTH} characters long`);
  }
  if (passwordTooLong(password)) {
    throw new Invalid('input', `password must be at most ${MAX_PASSWORD_BYTES} bytes long`);
  }
}

export function validateEmail(email: string): void {
  if (email.length > 255 || !EMAIL.test(email)) throw new Invalid('input', `invalid e-mail address "${email}"`);
}

export function isSuperuser(config: QuaysideConfig, row: Pick<Namespace, 'name' | 'superuser'>): boolean {
  return row.superuser === 1 || config.SUPER_USERS.includes(row.name);
}

/** A user account (not an organization or robot) by name, enabled or not. */
export async function findUser(db: Kysely<Database>, name: string): Promise<Namespace | undefined> {
  const row = await findNamespace(db, name);
  return row?.kind === 'user' ? row : undefined;
}

export async function countUsers(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('namespace')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('kind', '=', 'user')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Whether any account of any kind exists (Quay's "non-empty database" test for user initialize). */
export async function hasAnyAccount(db: Kysely<Database>): Promise<boolean> {
  const row = await db.selectFrom('namespace').select('id').limit(1).executeTakeFirst();
  return row !== undefined;
}

interface PreparedUser {
  name: string;
  email: string | null;
  passwordHash: string;
  superuser: boolean;
  removedTagExpirationS: number;
}

/** Validates the input and hashes the password: the slow part, done outside any transaction. */
async function prepareUser(config: QuaysideConfig, input: NewUser): Promise<PreparedUser> {
  validateNamespaceName(input.name);
  validatePassword(input.password);
  if (input.email !== undefined) validateEmail(input.email);
  return {
    name: input.name,
    email: input.email ?? null,
    passwordHash: await hashPassword(input.password),
    superuser: input.superuser === true,
    removedTagExpirationS: parseDurationSeconds(config.DEFAULT_TAG_EXPIRATION),
  };
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

async function insertUser(db: Kysely<Database>, user: PreparedUser): Promise<Namespace> {
  if (user.email !== null) {
    const sameEmail = await db
      .selectFrom('namespace')
      .select('id')
      .where('kind', '=', 'user')
      .where('email', '=', user.email)
      .executeTakeFirst();
    if (sameEmail) throw new Conflict(`the e-mail address "${user.email}" is already used by another account`);
  }
  let row: Namespace;
  try {
    row = await createNamespace(db, {
      name: user.name,
      kind: 'user',
      email: user.email,
      passwordHash: user.passwordHash,
      removedTagExpirationS: user.removedTagExpirationS,
    });
  } catch (err) {
    // createNamespace checks first, but a concurrent creator can still win the insert.
    if (isUniqueViolation(err)) throw new Conflict(`the name "${user.name}" is already taken`);
    throw err;
  }
  if (!user.superuser) return row;
  return db
    .updateTable('namespace')
    .set({ superuser: 1 })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Creates an enabled user account. Throws Invalid for bad input and Conflict when the name is taken. */
export async function createUser(db: Kysely<Database>, config: QuaysideConfig, input: NewUser): Promise<Namespace> {
  return insertUser(db, await prepareUser(config, input));
}

/**
 * Creates the user only if no account exists yet, atomically, so two concurrent initializers cannot
 * both succeed. Returns undefined when the database already has accounts.
 */
export async function createFirstUser(
  db: Kysely<Database>,
  dialect: Dialect,
  config: QuaysideConfig,
  input: NewUser,
): Promise<Namespace | undefined> {
  const prepared = await prepareUser(config, input);
  return db.transaction().execute(async (trx) => {
    // SQLite runs one write transaction at a time; PostgreSQL needs the table lock to serialize.
    if (dialect === 'postgres') await sql`lock table namespace in share row exclusive mode`.execute(trx);
    if (await hasAnyAccount(trx)) return undefined;
    return insertUser(trx, prepared);
  });
}
