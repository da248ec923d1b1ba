import { type Client, NoSuchObjectError } from 'ldapts';
import { absoluteGroupDn, normalizeDn } from './dn.js';
import { allValues, type DirectoryUser } from './entries.js';
import { equals } from './filters.js';
import type { LdapSettings } from './settings.js';
import type { LdapUserSearch } from './user-search.js';

/** Group attributes that list member DNs (groupOfNames, groupOfUniqueNames). */
const MEMBER_ATTRIBUTES = ['member', 'uniqueMember'];

/** A uniqueMember value may carry an optional `#'0101'B` unique identifier after the DN. */
function memberDn(value: string): string {
  return value.replace(/#'[01]*'B$/, '').trim();
}

/** The member DNs the group entry lists; none when the entry does not exist. */
async function listedMemberDns(client: Client, groupDn: string): Promise<string[]> {
  try {
    const { searchEntries } = await client.search(groupDn, {
      scope: 'base',
      filter: '(objectClass=*)',
      attributes: MEMBER_ATTRIBUTES,
    });
    const entry = searchEntries[0];
    if (!entry) return [];
    return MEMBER_ATTRIBUTES.flatMap((attribute) => allValues(entry, attribute)).map(memberDn);
  } catch (err) {
    if (err instanceof NoSuchObjectError) return [];
    throw err;
  }
}

/**
 * The users in a group, found both ways directories record membership: users whose
 * LDAP_MEMBEROF_ATTR names the group (the memberOf overlay, Active Directory) and the DNs the
 * group's member / uniqueMember attributes list (plain groupOfNames without the overlay). Only
 * users in the user subtrees that pass LDAP_USER_FILTER count.
 */
export async function groupMembers(
  client: Client,
  settings: LdapSettings,
  users: LdapUserSearch,
  groupDn: string,
): Promise<DirectoryUser[]> {
  const dn = absoluteGroupDn(groupDn, settings.baseDn);
  const members = new Map<string, DirectoryUser>();
  for (const user of await users.findAll(client, equals(settings.memberOfAttr, dn))) {
    members.set(normalizeDn(user.dn), user);
  }
  for (const listed of await listedMemberDns(client, dn)) {
    if (members.has(normalizeDn(listed))) continue;
    const user = await users.readUser(client, listed);
    if (user) members.set(normalizeDn(user.dn), user);
  }
  const byUid = new Map<string, DirectoryUser>();
  for (const user of members.values()) if (!byUid.has(user.uid)) byUid.set(user.uid, user);
  return [...byUid.values()];
}
