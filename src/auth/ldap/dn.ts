/**
 * Distinguished names as Quay's LDAP keys write them: a string, or a list of RDN components that
 * are joined with commas (LDAP_BASE_DN: [dc=example, dc=org]). Relative DNs are relative to the base.
 */

export type DnSetting = string | string[] | undefined;

function components(value: DnSetting): string[] {
  if (value === undefined) return [];
  const parts = Array.isArray(value) ? value : [value];
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

/** The DN a setting names, or '' when it is empty. */
export function joinDn(value: DnSetting): string {
  return components(value).join(',');
}

/** `relative` under `base`; the base itself when `relative` is empty. */
export function underBase(relative: string, base: string): string {
  return relative === '' ? base : `${relative},${base}`;
}

/** The subtrees searched for users: LDAP_USER_RDN first, then each secondary RDN, all under the base. */
export function userSearchBases(baseDn: string, userRdn: DnSetting, secondaryRdns: readonly DnSetting[]): string[] {
  const bases = [underBase(joinDn(userRdn), baseDn)];
  for (const rdn of secondaryRdns) bases.push(underBase(joinDn(rdn), baseDn));
  return [...new Set(bases)];
}

/** A comparable form of a DN: lower case, no spaces around separators. Good enough for the DNs we compare. */
export function normalizeDn(dn: string): string {
  return dn
    .trim()
    .toLowerCase()
    .replace(/\s*([,=+])\s*/g, '$1');
}

/** Whether `dn` is `base` or below it. */
export function isWithinDn(dn: string, base: string): boolean {
  const child = normalizeDn(dn);
  const parent = normalizeDn(base);
  return child === parent || child.endsWith(`,${parent}`);
}

/** A team sync group DN: Quay stores it relative to the base DN; a full DN under the base is accepted too. */
export function absoluteGroupDn(groupDn: string, baseDn: string): string {
  const trimmed = groupDn.trim();
  return isWithinDn(trimmed, baseDn) ? trimmed : underBase(trimmed, baseDn);
}
