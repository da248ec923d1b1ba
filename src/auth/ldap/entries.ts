import type { Entry } from 'ldapts';

/** A person found in the directory. */
export interface DirectoryUser {
  dn: string;
  /** The LDAP_UID_ATTR value: the identity a local account is linked to. */
  uid: string;
  email: string | null;
}

/** The first value of an attribute, looked up without regard to case (servers echo their own spelling). */
export function firstValue(entry: Entry, attribute: string): string | undefined {
  const wanted = attribute.toLowerCase();
  for (const [name, value] of Object.entries(entry)) {
    if (name.toLowerCase() !== wanted || name === 'dn') continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined) return undefined;
    const text = Buffer.isBuffer(first) ? first.toString('utf8') : first;
    return text === '' ? undefined : text;
  }
  return undefined;
}

/** Every value of an attribute, as strings. */
export function allValues(entry: Entry, attribute: string): string[] {
  const wanted = attribute.toLowerCase();
  for (const [name, value] of Object.entries(entry)) {
    if (name.toLowerCase() !== wanted || name === 'dn') continue;
    const values = Array.isArray(value) ? value : [value];
    return values.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
  }
  return [];
}

/** The user an entry describes; undefined when it has no uid. */
export function toDirectoryUser(entry: Entry, uidAttr: string, emailAttr: string): DirectoryUser | undefined {
  const uid = firstValue(entry, uidAttr);
  if (uid === undefined || !entry.dn) return undefined;
  return { dn: entry.dn, uid, email: firstValue(entry, emailAttr) ?? null };
}
