import type { Kysely } from 'kysely';
import type { QuaysideConfig } from '../../config/load.js';
import type { Database } from '../../db/tables.js';
import { Conflict, Unauthorized } from '../../errors.js';
import {
  createFederatedUser,
  findFederatedUser,
  hasTeamInviteFor,
  LDAP_SERVICE,
  syncFederatedEmail,
  unlinkFederatedIdentity,
} from '../../model/federated-logins.js';
import type { Namespace } from '../../model/namespaces.js';
import type { DirectoryUser } from './entries.js';

/** Quay's words when a directory user has no account and accounts may not be created. */
export const USER_CREATION_DISABLED_MESSAGE =
  'User creation is disabled. Please contact your administrator to gain access.';

/**
 * Whether a first sign-in may create the account: FEATURE_USER_CREATION, and with
 * FEATURE_INVITE_ONLY_USER_CREATION a pending team invitation for the address.
 */
export async function accountCreationAllowed(
  db: Kysely<Database>,
  config: QuaysideConfig,
  email: string | null,
): Promise<boolean> {
  if (!config.FEATURE_USER_CREATION) return false;
  if (!config.FEATURE_INVITE_ONLY_USER_CREATION) return true;
  return email !== null && (await hasTeamInviteFor(db, email));
}

/** The live local account linked to the uid; a link to a deleted account is dropped. */
async function linkedAccount(db: Kysely<Database>, uid: string): Promise<Namespace | undefined> {
  const linked = await findFederatedUser(db, LDAP_SERVICE, uid);
  if (linked && linked.deleted_at !== null) {
    await unlinkFederatedIdentity(db, LDAP_SERVICE, uid);
    return undefined;
  }
  return linked;
}

/**
 * The local account of a directory user: the linked one (its e-mail refreshed from the
 * directory), or a new one when `mayCreate`. Returns undefined when there is none and none may
 * be created. Throws Unauthorized when creation fails (e.g. the address belongs to another account).
 */
export async function findOrCreateAccount(
  db: Kysely<Database>,
  config: QuaysideConfig,
  user: DirectoryUser,
  mayCreate: boolean,
): Promise<Namespace | undefined> {
  const linked = await linkedAccount(db, user.uid);
  if (linked) return syncFederatedEmail(db, linked, user.email);
  if (!mayCreate) return undefined;
  try {
    return await createFederatedUser(db, config, { service: LDAP_SERVICE, ident: user.uid, email: user.email });
  } catch (err) {
    if (err instanceof Conflict) throw new Unauthorized(`cannot create an account for ${user.uid}: ${err.message}`);
    throw err;
  }
}
