import type { Kysely } from 'kysely';
import type { QuaysideConfig } from '../config/load.js';
import type { Database } from '../db/tables.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { Conflict, DomainError } from '../errors.js';
import { createNamespace, findNamespace, type Namespace } from './namespaces.js';
import { parseDurationSeconds, validateEmail } from './users.js';

/**
 * Local accounts linked to an identity in an external directory (federated_login): found by the
 * directory's stable identifier (the LDAP uid), created on first sign-in with a name derived from
 * it, and kept in step with the directory's e-mail address.
 */

export const LDAP_SERVICE = 'ldap';

/** How many `name-N` variants are tried before giving up on a free name. */
const MAX_NAME_SUFFIX = 100;
const MAX_NAME_LENGTH = 255;
/** Room left for a `-NNN` suffix when a long identifier is cut down. */
const SUFFIX_ROOM = 4;

export interface FederatedIdentity {
  service: string;
  /** The directory's identifier for the person, e.g. the LDAP uid. */
  ident: string;
  email: string | null;
}

/** The local user linked to `ident` in `service`, whatever its state. */
export async function findFederatedUser(
  db: Kysely<Database>,
  service: string,
  ident: string,
): Promise<Namespace | undefined> {
  return db
    .selectFrom('federated_login')
    .innerJoin('namespace', 'namespace.id', 'federated_login.user_id')
    .selectAll('namespace')
    .where('federated_login.service', '=', service)
    .where('federated_login.service_ident', '=', ident)
    .executeTakeFirst();
}

/** The identifier a local user is linked to in `service`, if any. */
export async function federatedIdentOf(db: Kysely<Database>, service: string, userId: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('federated_login')
    .select('service_ident')
    .where('service', '=', service)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.service_ident;
}

export async function unlinkFederatedIdentity(db: Kysely<Database>, service: string, ident: string): Promise<void> {
  await db.deleteFrom('federated_login').where('service', '=', service).where('service_ident', '=', ident).execute();
}

/**
 * Turns a directory identifier into a valid namespace name: accents dropped, lower case, runs of
 * other characters (and of separators) become one `_`, no separator at either end, at least two
 * characters.
 */
export function namespaceNameFromIdent(ident: string): string {
  let name = ident
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '_')
    .replace(/[._-]{2,}/g, '_')
    .slice(0, MAX_NAME_LENGTH - SUFFIX_ROOM)
    .replace(/^[._-]+|[._-]+$/g, '');
  if (name.length === 0) name = 'user';
  return name.padEnd(2, '0');
}

/** The names tried for a new account, in order: `alice`, `alice-1`, `alice-2`, ... */
export function* candidateNames(ident: string): Generator<string> {
  const base = namespaceNameFromIdent(ident);
  yield base;
  for (let n = 1; n <= MAX_NAME_SUFFIX; n++) yield `${base}-${n}`;
}

/** A directory address we can store: valid, or null (a malformed address is dropped, not fatal). */
function usableEmail(email: string | null): string | null {
  if (email === null) return null;
  try {
    validateEmail(email);
    return email;
  } catch {
    return null;
  }
}

async function emailTakenByOther(db: Kysely<Database>, email: string, exceptUserId?: number): Promise<boolean> {
  let query = db.selectFrom('namespace').select('id').where('kind', '=', 'user').where('email', '=', email);
  if (exceptUserId !== undefined) query = query.where('id', '!=', exceptUserId);
  return (await query.executeTakeFirst()) !== undefined;
}

/** Whether a pending team invitation names this address (FEATURE_INVITE_ONLY_USER_CREATION). */
export async function hasTeamInviteFor(db: Kysely<Database>, email: string): Promise<boolean> {
  const row = await db.selectFrom('team_invite').select('id').where('email', '=', email).executeTakeFirst();
  return row !== undefined;
}

class NameTaken extends DomainError {
  readonly kind = 'name_taken';
}

async function insertLinkedUser(
  db: Kysely<Database>,
  identity: FederatedIdentity,
  name: string,
  email: string | null,
  removedTagExpirationS: number,
): Promise<Namespace> {
  return db.transaction().execute(async (trx) => {
    let user: Namespace;
    try {
      user = await createNamespace(trx, { name, kind: 'user', email, passwordHash: null, removedTagExpirationS });
    } catch (err) {
      if (err instanceof Conflict) throw new NameTaken(name);
      throw err;
    }
    await trx
      .insertInto('federated_login')
      .values({ user_id: user.id, service: identity.service, service_ident: identity.ident })
      .execute();
    return user;
  });
}

/**
 * Creates a local account for a directory identity and links it. The account has no password (it
 * signs in through the directory only). The name is the identifier made valid, or the first free
 * `name-N` when another account holds it. Throws Conflict when the e-mail address belongs to
 * another account or no name is free. A concurrent first sign-in of the same identity returns the
 * account that one created.
 */
export async function createFederatedUser(
  db: Kysely<Database>,
  config: QuaysideConfig,
  identity: FederatedIdentity,
): Promise<Namespace> {
  const email = usableEmail(identity.email);
  if (email !== null && (await emailTakenByOther(db, email))) {
    // The account holding the address may be this identity's, made by a concurrent first sign-in.
    const linked = await findFederatedUser(db, identity.service, identity.ident);
    if (linked) return linked;
    throw new Conflict(`the e-mail address "${email}" is already used by another account`);
  }
  const removedTagExpirationS = parseDurationSeconds(config.DEFAULT_TAG_EXPIRATION);
  for (const name of candidateNames(identity.ident)) {
    if (await findNamespace(db, name)) continue;
    try {
      return await insertLinkedUser(db, identity, name, email, removedTagExpirationS);
    } catch (err) {
      if (err instanceof NameTaken) continue;
      if (!isUniqueViolation(err)) throw err;
      const linked = await findFederatedUser(db, identity.service, identity.ident);
      if (linked) return linked;
    }
  }
  throw new Conflict(`no free account name could be found for "${identity.ident}"`);
}

/** Copies the directory's e-mail address to the account, unless it is unusable or another account's. */
export async function syncFederatedEmail(db: Kysely<Database>, user: Namespace, email: string | null): Promise<Namespace> {
  const wanted = usableEmail(email);
  if (wanted === null || wanted === user.email) return user;
  if (await emailTakenByOther(db, wanted, user.id)) return user;
  await db.updateTable('namespace').set({ email: wanted }).where('id', '=', user.id).execute();
  return { ...user, email: wanted };
}
