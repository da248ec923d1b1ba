import { type Kysely, sql } from 'kysely';
import { MAX_PASSWORD_BYTES, hashPassword, passwordTooLong } from '../auth/passwords.js';
import type { QuaysideConfig } from '../config/load.js';
import type { Dialect } from '../db/migrations/column-types.js';
import type { Database } from '../db/tables.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { parseDurationMs } from './durations.js';
import { parseStoredJsonObject } from './json-text.js';
import { createNamespace, findNamespace, markNamespaceDeleted, type Namespace, validateNamespaceName } from './namespaces.js';
import { deleteRobotsOwnedBy } from './robots.js';
import { deleteUserSessions } from './sessions.js';

export const MIN_PASSWORD_LENGTH = 8;

export interface NewUser {
  name: string;
  password: string;
  email?: string | undefined;
  superuser?: boolean | undefined;
}

/** A configured duration ("0s", "30m", "1d", "2w") in seconds; throws Invalid for anything else. */
export function parseDurationSeconds(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) throw new Invalid('input', `not a duration: "${text}" (use a number followed by s, m, h, d, w or y)`);
  return ms / 1000;
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

/** The user account with this id, enabled or not; undefined for other kinds and deleted accounts. */
export async function findUserById(db: Kysely<Database>, id: number): Promise<Namespace | undefined> {
  return db
    .selectFrom('namespace')
    .selectAll()
    .where('id', '=', id)
    .where('kind', '=', 'user')
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** Organizations in which the user belongs to at least one team, by name. */
export async function listUserOrganizations(db: Kysely<Database>, userId: number): Promise<Namespace[]> {
  return db
    .selectFrom('namespace')
    .selectAll()
    .where('kind', '=', 'organization')
    .where('deleted_at', 'is', null)
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('team')
        .innerJoin('team_member', 'team_member.team_id', 'team.id')
        .select('team.organization_id')
        .where('team_member.member_id', '=', userId),
    )
    .orderBy('name')
    .execute();
}

export interface FederatedLogin {
  service: string;
  serviceIdent: string;
  metadata: Record<string, unknown>;
}

/** The external identities (LDAP) linked to a user account. */
export async function listFederatedLogins(db: Kysely<Database>, userId: number): Promise<FederatedLogin[]> {
  const rows = await db
    .selectFrom('federated_login')
    .selectAll()
    .where('user_id', '=', userId)
    .orderBy('service')
    .execute();
  return rows.map((row) => ({ service: row.service, serviceIdent: row.service_ident, metadata: parseStoredJsonObject(row.metadata) }));
}

async function refuseTakenEmail(db: Kysely<Database>, email: string, exceptUserId: number): Promise<void> {
  const other = await db
    .selectFrom('namespace')
    .select('id')
    .where('kind', '=', 'user')
    .where('email', '=', email)
    .where('id', '!=', exceptUserId)
    .executeTakeFirst();
  if (other) throw new Conflict(`the e-mail address "${email}" is already used by another account`);
}

/** Sets a user's e-mail address; it must be valid and not used by another account. */
export async function changeUserEmail(db: Kysely<Database>, userId: number, email: string): Promise<void> {
  validateEmail(email);
  await refuseTakenEmail(db, email, userId);
  await db.updateTable('namespace').set({ email }).where('id', '=', userId).where('kind', '=', 'user').execute();
}

/**
 * Sets a new password and signs the user out of every session except `keepSessionId` (the one
 * that made the change, if any): whoever knew the old password loses access.
 */
export async function changeUserPassword(
  db: Kysely<Database>,
  userId: number,
  password: string,
  keepSessionId?: number,
): Promise<void> {
  validatePassword(password);
  const hash = await hashPassword(password);
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('namespace').set({ password_hash: hash }).where('id', '=', userId).where('kind', '=', 'user').execute();
    await deleteUserSessions(trx, userId, keepSessionId);
  });
}

/** The tag expiration windows (seconds) a namespace may choose: TAG_EXPIRATION_OPTIONS. */
function tagExpirationChoices(config: QuaysideConfig): number[] {
  return config.TAG_EXPIRATION_OPTIONS.map(parseDurationSeconds);
}

/** Throws Invalid unless `seconds` is one of TAG_EXPIRATION_OPTIONS. */
function validateTagExpiration(config: QuaysideConfig, seconds: number): void {
  if (!tagExpirationChoices(config).includes(seconds)) {
    throw new Invalid(
      'input',
      `invalid tag expiration ${seconds}s: choose one of ${config.TAG_EXPIRATION_OPTIONS.join(', ')} (TAG_EXPIRATION_OPTIONS)`,
    );
  }
}

/**
 * The time-machine window a user or organization update asks for, checked: undefined when the
 * update leaves it alone or when FEATURE_CHANGE_TAG_EXPIRATION is off (Quay then ignores
 * tag_expiration_s); otherwise `seconds`, which must be one of TAG_EXPIRATION_OPTIONS.
 */
export function requestedTagExpiration(config: QuaysideConfig, seconds: number | undefined): number | undefined {
  if (seconds === undefined || !config.FEATURE_CHANGE_TAG_EXPIRATION) return undefined;
  validateTagExpiration(config, seconds);
  return seconds;
}

/** Sets how long deleted tags stay in a namespace's time machine; only the configured choices are accepted. */
export async function changeTagExpiration(
  db: Kysely<Database>,
  config: QuaysideConfig,
  namespaceId: number,
  seconds: number,
): Promise<void> {
  validateTagExpiration(config, seconds);

  await db.updateTable('namespace').set({ removed_tag_expiration_s: seconds }).where('id', '=', namespaceId).execute();
}

/** Enables or disables a user account; disabling also ends its sessions. */
export async function setUserEnabled(db: Kysely<Database>, userId: number, enabled: boolean): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('namespace')
      .set({ enabled: enabled ? 1 : 0 })
      .where('id', '=', userId)
      .where('kind', '=', 'user')
      .execute();
    if (!enabled) await deleteUserSessions(trx, userId);
  });
}

/** A pending invitation to a team, addressed to someone who has no account yet. */
interface PendingInvite {
  id: number;
  teamId: number;
}

async function findInviteForNewAccount(db: Kysely<Database>, token: string): Promise<PendingInvite | undefined> {
  const row = await db
    .selectFrom('team_invite')
    .innerJoin('team', 'team.id', 'team_invite.team_id')
    .innerJoin('namespace as organization', 'organization.id', 'team.organization_id')
    .select(['team_invite.id as id', 'team_invite.team_id as teamId'])
    .where('team_invite.token', '=', token)
    .where('team_invite.user_id', 'is', null)
    .where('organization.enabled', '=', 1)
    .where('organization.deleted_at', 'is', null)
    .executeTakeFirst();
  return row;
}

export interface AccountInvite {
  /** The invitation's token (the `invite_code` of account creation). */
  token: string | undefined;
  /** FEATURE_INVITE_ONLY_USER_CREATION: no account without a valid invitation. */
  required: boolean;
}

/**
 * Self-service account creation: creates the user and, when an invitation token is given and
 * valid, adds the new account to the inviting team and uses the invitation up, all at once.
 * With `invite.required`, a missing or unknown invitation refuses the account.
 */
export async function createInvitedUser(
  db: Kysely<Database>,
  config: QuaysideConfig,
  input: NewUser,
  invite: AccountInvite,
): Promise<Namespace> {
  if (invite.required && !invite.token) throw new Invalid('input', 'an invitation is required to create an account');
  const prepared = await prepareUser(config, input);
  return db.transaction().execute(async (trx) => {
    const found = invite.token ? await findInviteForNewAccount(trx, invite.token) : undefined;
    if (invite.required && !found) throw new Invalid('input', 'the invite code is not valid');
    const user = await insertUser(trx, prepared);
    if (found) {
      await trx.insertInto('team_member').values({ team_id: found.teamId, member_id: user.id }).execute();
      await trx.deleteFrom('team_invite').where('id', '=', found.id).execute();
    }
    return user;
  });
}

/**
 * Names of the organizations that would be left without an administrator if this user went away:
 * the user is in one of their admin teams and no other enabled user is in any of them.
 */
export async function soleAdministratorOf(db: Kysely<Database>, userId: number): Promise<string[]> {
  const administered = await db
    .selectFrom('team')
    .innerJoin('team_member', 'team_member.team_id', 'team.id')
    .innerJoin('namespace as organization', 'organization.id', 'team.organization_id')
    .select(['organization.id as id', 'organization.name as name'])
    .distinct()
    .where('team.role', '=', 'admin')
    .where('team_member.member_id', '=', userId)
    .where('organization.deleted_at', 'is', null)
    .execute();
  const orphaned: string[] = [];
  for (const organization of administered) {
    const otherAdmin = await db
      .selectFrom('team')
      .innerJoin('team_member', 'team_member.team_id', 'team.id')
      .innerJoin('namespace as member', 'member.id', 'team_member.member_id')
      .select('member.id')
      .where('team.organization_id', '=', organization.id)
      .where('team.role', '=', 'admin')
      .where('member.kind', '=', 'user')
      .where('member.enabled', '=', 1)
      .where('member.id', '!=', userId)
      .limit(1)
      .executeTakeFirst();
    if (!otherAdmin) orphaned.push(organization.name);
  }
  return orphaned.sort();
}

/**
 * Deletes a user account, as Quay does: in one transaction the namespace is marked deleted (see
 * markNamespaceDeleted: renamed, disabled, e-mail released, queued for namespacegc) and its
 * sessions, tokens, team memberships, permissions, external logins and robots go. Refused while
 * the user is the only administrator of an organization.
 */
export async function deleteUserAccount(db: Kysely<Database>, userId: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const user = await findUserById(trx, userId);
    if (!user) throw new NotFound('user', 'user account not found');
    const orphaned = await soleAdministratorOf(trx, userId);
    if (orphaned.length > 0) {
      throw new Invalid(
        'input',
        `cannot delete the account of ${user.name}: it is the only administrator of organization ${orphaned.join(', ')}; ` +
          'add another administrator or delete the organization first',
      );
    }
    await markNamespaceDeleted(trx, user);
    await removeLinkedData(trx, userId);
  });
}

/** Everything that lets a deleted user act or appear elsewhere; the namespace GC removes the rest. */
async function removeLinkedData(trx: Kysely<Database>, userId: number): Promise<void> {
  await deleteRobotsOwnedBy(trx, userId);
  await revokeUserAccess(trx, userId);
}

/**
 * Ends what a user account can sign in with and what it holds elsewhere: sessions, app and OAuth
 * tokens, external logins, team memberships and invitations, repository and default permissions.
 * Shared by account deletion and by a superuser's conversion of the account to an organization.
 */
export async function revokeUserAccess(trx: Kysely<Database>, userId: number): Promise<void> {
  await trx.deleteFrom('user_session').where('user_id', '=', userId).execute();
  await trx.deleteFrom('app_token').where('user_id', '=', userId).execute();
  await trx.deleteFrom('oauth_access_token').where('namespace_id', '=', userId).execute();
  await trx.deleteFrom('federated_login').where('user_id', '=', userId).execute();
  await trx.deleteFrom('team_member').where('member_id', '=', userId).execute();
  await trx.deleteFrom('team_invite').where('user_id', '=', userId).execute();
  await trx.deleteFrom('repository_permission').where('member_id', '=', userId).execute();
  await trx
    .deleteFrom('default_permission')
    .where((eb) => eb.or([eb('activating_user_id', '=', userId), eb('delegate_member_id', '=', userId)]))
    .execute();
}
