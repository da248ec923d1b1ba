import { type Client, type Entry, NoSuchObjectError, SizeLimitExceededError } from 'ldapts';
import { isWithinDn } from './dn.js';
import { type DirectoryUser, toDirectoryUser } from './entries.js';
import { allOf, equals, loginFilter } from './filters.js';
import type { LdapSettings } from './settings.js';

/** Page size for searches that may return many entries (group members). */
const PAGE_SIZE = 500;

/**
 * Finds users under the configured user subtrees, always with LDAP_USER_FILTER applied, and
 * reads only the uid and e-mail attributes.
 */
export class LdapUserSearch {
  constructor(private readonly settings: LdapSettings) {}

  private get attributes(): string[] {
    return [this.settings.uidAttr, this.settings.emailAttr];
  }

  private toUsers(entries: Entry[]): DirectoryUser[] {
    const users: DirectoryUser[] = [];
    for (const entry of entries) {
      const user = toDirectoryUser(entry, this.settings.uidAttr, this.settings.emailAttr);
      if (user) users.push(user);
    }
    return users;
  }

  /** Entries matching `filter` under one base; a base that does not exist has none. */
  private async searchBase(client: Client, base: string, filter: string, paged: boolean): Promise<DirectoryUser[]> {
    try {
      const { searchEntries } = await client.search(base, {
        scope: 'sub',
        filter,
        attributes: this.attributes,
        ...(paged ? { paged: { pageSize: PAGE_SIZE } } : {}),
      });
      return this.toUsers(searchEntries);
    } catch (err) {
      if (err instanceof NoSuchObjectError) return [];
      throw err;
    }
  }

  /**
   * The users a sign-in name (uid or e-mail) matches, from the first user subtree with any match
   * (LDAP_USER_RDN, then the secondary RDNs). `extraFilter` narrows further (superuser filter).
   */
  async findByLogin(client: Client, login: string, extraFilter?: string): Promise<DirectoryUser[]> {
    const filter = allOf(loginFilter(this.settings.uidAttr, this.settings.emailAttr, login), this.settings.userFilter, extraFilter);
    for (const base of this.settings.userBases) {
      const found = await this.searchBase(client, base, filter, false);
      if (found.length > 0) return found;
    }
    return [];
  }

  /** The users with exactly this uid, narrowed by `extraFilter`, from the first subtree with a match. */
  async findByUid(client: Client, uid: string, extraFilter?: string): Promise<DirectoryUser[]> {
    const filter = allOf(equals(this.settings.uidAttr, uid), this.settings.userFilter, extraFilter);
    for (const base of this.settings.userBases) {
      const found = await this.searchBase(client, base, filter, false);
      if (found.length > 0) return found;
    }
    return [];
  }

  /** Every user matching `filter` (with the user filter) across all user subtrees. */
  async findAll(client: Client, filter: string): Promise<DirectoryUser[]> {
    const combined = allOf(filter, this.settings.userFilter);
    const users: DirectoryUser[] = [];
    for (const base of this.settings.userBases) users.push(...(await this.searchBase(client, base, combined, true)));
    return users;
  }

  /** The user stored at `dn`, when it lies in a user subtree and passes the user filter. */
  async readUser(client: Client, dn: string): Promise<DirectoryUser | undefined> {
    if (!this.settings.userBases.some((base) => isWithinDn(dn, base))) return undefined;
    try {
      const { searchEntries } = await client.search(dn, {
        scope: 'base',
        filter: allOf(this.settings.userFilter),
        attributes: this.attributes,
      });
      return this.toUsers(searchEntries)[0];
    } catch (err) {
      if (err instanceof NoSuchObjectError) return undefined;
      throw err;
    }
  }

  /** Whether any entry exists under the user subtrees (the config check's sanity test). */
  async anyUserExists(client: Client): Promise<boolean> {
    const filter = allOf(`(${this.settings.uidAttr}=*)`, this.settings.userFilter);
    for (const base of this.settings.userBases) {
      try {
        const { searchEntries } = await client.search(base, { scope: 'sub', filter, attributes: ['1.1'], sizeLimit: 1 });
        if (searchEntries.length > 0) return true;
      } catch (err) {
        // More matches than the one asked for: users exist.
        if (err instanceof SizeLimitExceededError) return true;
        if (err instanceof NoSuchObjectError) continue;
        throw err;
      }
    }
    return false;
  }
}
