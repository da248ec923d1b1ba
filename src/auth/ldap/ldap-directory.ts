import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { QuaysideConfig } from '../../config/load.js';
import type { Database } from '../../db/tables.js';
import { Unauthorized } from '../../errors.js';
import { federatedIdentOf, LDAP_SERVICE } from '../../model/federated-logins.js';
import type { Namespace } from '../../model/namespaces.js';
import type { UserDirectory } from '../directory.js';
import { TtlCache } from '../ttl-cache.js';
import { LdapConnector } from './connection.js';
import type { DirectoryUser } from './entries.js';
import { groupMembers } from './groups.js';
import { accountCreationAllowed, findOrCreateAccount, USER_CREATION_DISABLED_MESSAGE } from './linking.js';
import { type LdapSettings, resolveLdapSettings } from './settings.js';
import { LdapUserSearch } from './user-search.js';

const INVALID_LOGIN = 'invalid username or password';
const DIRECTORY_UNAVAILABLE = 'sign-in is unavailable: the LDAP directory could not be searched';
/** How long a superuser-filter answer is reused. */
const ROLE_CACHE_MS = 30_000;
const ROLE_CACHE_ENTRIES = 10_000;

export interface LdapDirectoryOptions {
  log?: Logger | undefined;
}

/**
 * AUTHENTICATION_TYPE: LDAP. Sign-in searches the user subtrees as LDAP_ADMIN_DN for the uid or
 * e-mail address, binds as the one matching entry with the password, and links (or creates) the
 * local account through federated_login. Also answers the superuser filters and lists group
 * members for team synchronization.
 */
export class LdapDirectory implements UserDirectory {
  readonly settings: LdapSettings;
  private readonly connector: LdapConnector;
  private readonly users: LdapUserSearch;
  private readonly roleCache = new TtlCache<boolean>(ROLE_CACHE_ENTRIES);
  private readonly log: Logger | undefined;

  constructor(
    private readonly config: QuaysideConfig,
    private readonly db: Kysely<Database>,
    options: LdapDirectoryOptions = {},
  ) {
    this.settings = resolveLdapSettings(config);
    this.connector = new LdapConnector(this.settings);
    this.users = new LdapUserSearch(this.settings);
    this.log = options.log;
  }

  async verifyAndLink(username: string, password: string): Promise<Namespace> {
    // An empty password would be an anonymous bind, which many servers accept.
    if (username.length === 0 || password.length === 0) throw new Unauthorized(INVALID_LOGIN);
    const found = await this.directoryCall('sign-in search', () =>
      this.connector.asAdmin((client) => this.users.findByLogin(client, username)),
    );
    if (found.length !== 1) {
      if (found.length > 1) this.log?.warn({ matches: found.length }, 'LDAP sign-in name matches several entries');
      throw new Unauthorized(INVALID_LOGIN);
    }
    const user = found[0]!;
    const matches = await this.directoryCall('password check', () => this.connector.passwordMatches(user.dn, password));
    if (!matches) throw new Unauthorized(INVALID_LOGIN);
    if (this.settings.requireEmail && user.email === null) {
      throw new Unauthorized(`the directory entry has no "${this.settings.emailAttr}" attribute`);
    }
    const mayCreate = await accountCreationAllowed(this.db, this.config, user.email);
    const account = await findOrCreateAccount(this.db, this.config, user, mayCreate);
    if (!account) throw new Unauthorized(USER_CREATION_DISABLED_MESSAGE);
    return account;
  }

  async isSuperuser(user: Namespace): Promise<boolean> {
    return this.matchesRoleFilter(user, 'superuser', this.settings.superuserFilter);
  }

  /** LDAP_GLOBAL_READONLY_SUPERUSER_FILTER (not consulted by authorize yet). */
  async isGlobalReadonlySuperuser(user: Namespace): Promise<boolean> {
    return this.matchesRoleFilter(user, 'readonly-superuser', this.settings.globalReadonlySuperuserFilter);
  }

  /** The members of a group, for team synchronization. Throws when the directory cannot be searched. */
  async listGroupMembers(groupDn: string): Promise<DirectoryUser[]> {
    return this.connector.asAdmin((client) => groupMembers(client, this.settings, this.users, groupDn));
  }

  /** Why a group cannot back a synced team (missing or empty), or undefined when it can. */
  async groupProblem(groupDn: string): Promise<string | undefined> {
    if (groupDn.trim() === '') return 'Missing group_dn';
    let members: DirectoryUser[];
    try {
      members = await this.listGroupMembers(groupDn);
    } catch (err) {
      this.log?.error({ err }, 'LDAP group lookup failed');
      return 'the LDAP directory could not be searched';
    }
    return members.length === 0 ? 'Group does not exist or is empty' : undefined;
  }

  /** The local account of a group member; created only when `mayCreate`, else undefined when unlinked. */
  async accountFor(user: DirectoryUser, mayCreate: boolean): Promise<Namespace | undefined> {
    return findOrCreateAccount(this.db, this.config, user, mayCreate);
  }

  /** Binds as LDAP_ADMIN_DN and unbinds: the health checks' "auth" probe. */
  async ping(): Promise<void> {
    await this.connector.asAdmin(async () => undefined);
  }

  async close(): Promise<void> {
    // Connections are per operation; nothing stays open.
  }

  private async matchesRoleFilter(user: Namespace, role: string, filter: string | undefined): Promise<boolean> {
    if (!filter || user.kind !== 'user') return false;
    const key = `${role}:${user.id}`;
    const cached = this.roleCache.get(key);
    if (cached !== undefined) return cached;
    const uid = await federatedIdentOf(this.db, LDAP_SERVICE, user.id);
    if (uid === undefined) return false;
    try {
      const found = await this.connector.asAdmin((client) => this.users.findByUid(client, uid, filter));
      const matches = found.length > 0;
      this.roleCache.set(key, matches, Date.now() + ROLE_CACHE_MS);
      return matches;
    } catch (err) {
      // Not cached: the next request asks again.
      this.log?.error({ err }, `LDAP ${role} lookup failed`);
      return false;
    }
  }

  private async directoryCall<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      this.log?.error({ err }, `LDAP ${what} failed`);
      throw new Unauthorized(DIRECTORY_UNAVAILABLE);
    }
  }
}
