import type { QuaysideConfig } from '../../config/load.js';
import { joinDn, userSearchBases } from './dn.js';

/** The LDAP_* configuration, resolved once: full DNs, filters and timeouts in the units the client wants. */
export interface LdapSettings {
  url: string;
  baseDn: string;
  /** Where users are searched (subtree), in order: LDAP_USER_RDN, then each LDAP_SECONDARY_USER_RDNS. */
  userBases: string[];
  adminDn: string;
  adminPassword: string;
  uidAttr: string;
  emailAttr: string;
  memberOfAttr: string;
  userFilter: string | undefined;
  superuserFilter: string | undefined;
  globalReadonlySuperuserFilter: string | undefined;
  /** FEATURE_MAILING: an entry without an e-mail address cannot sign in. */
  requireEmail: boolean;
  operationTimeoutMs: number;
  connectTimeoutMs: number;
  allowInsecureFallback: boolean;
  configDir: string | undefined;
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Throws when a key loadConfig requires for AUTHENTICATION_TYPE: LDAP is missing (configs built by hand). */
function required(value: string | undefined, key: string): string {
  if (value === undefined || value === '') throw new Error(`${key} is required when AUTHENTICATION_TYPE is LDAP`);
  return value;
}

export function resolveLdapSettings(config: QuaysideConfig): LdapSettings {
  const baseDn = required(joinDn(config.LDAP_BASE_DN), 'LDAP_BASE_DN');
  return {
    url: required(config.LDAP_URI, 'LDAP_URI'),
    baseDn,
    userBases: userSearchBases(baseDn, config.LDAP_USER_RDN, config.LDAP_SECONDARY_USER_RDNS),
    adminDn: required(config.LDAP_ADMIN_DN, 'LDAP_ADMIN_DN'),
    adminPassword: required(config.LDAP_ADMIN_PASSWD, 'LDAP_ADMIN_PASSWD'),
    uidAttr: config.LDAP_UID_ATTR,
    emailAttr: config.LDAP_EMAIL_ATTR,
    memberOfAttr: config.LDAP_MEMBEROF_ATTR,
    userFilter: present(config.LDAP_USER_FILTER),
    superuserFilter: present(config.LDAP_SUPERUSER_FILTER),
    globalReadonlySuperuserFilter: present(config.LDAP_GLOBAL_READONLY_SUPERUSER_FILTER),
    requireEmail: config.FEATURE_MAILING,
    operationTimeoutMs: config.LDAP_TIMEOUT * 1000,
    connectTimeoutMs: config.LDAP_NETWORK_TIMEOUT * 1000,
    allowInsecureFallback: config.LDAP_ALLOW_INSECURE_FALLBACK,
    configDir: config.configDir,
  };
}
