import {
  LdapAdminCredentialsError,
  LdapConnector,
  type LdapSettings,
  LdapUnavailableError,
  LdapUserSearch,
  resolveLdapSettings,
} from '../auth/ldap/index.js';
import type { ConfigProblem, QuaysideConfig } from './load.js';

/**
 * The online LDAP check of `quayside config validate` (Quay's config validator): binds as
 * LDAP_ADMIN_DN, makes sure the user subtrees hold users, and that every name in SUPER_USERS is a
 * user in the directory. Reports problems; never throws for a directory that misbehaves.
 */

const FILTER_KEYS = [
  'LDAP_USER_FILTER',
  'LDAP_SUPERUSER_FILTER',
  'LDAP_GLOBAL_READONLY_SUPERUSER_FILTER',
  'LDAP_RESTRICTED_USER_FILTER',
] as const;

function filterProblems(config: QuaysideConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const key of FILTER_KEYS) {
    const filter = config[key]?.trim();
    if (filter && !(filter.startsWith('(') && filter.endsWith(')'))) {
      problems.push({ key, message: 'must be wrapped in parentheses, e.g. (memberOf=cn=devs,ou=groups,dc=example,dc=com)' });
    }
  }
  return problems;
}

function superuserNotFound(name: string): ConfigProblem {
  return {
    key: 'SUPER_USERS',
    message:
      `Verification of superuser ${name} failed: Username not found. The user either does not exist in the ` +
      'remote authentication system or LDAP auth is misconfigured (check LDAP_USER_RDN, LDAP_UID_ATTR, ' +
      'LDAP_EMAIL_ATTR and LDAP_USER_FILTER, and that LDAP_ADMIN_DN may read those entries).',
  };
}

async function directoryProblems(config: QuaysideConfig, settings: LdapSettings): Promise<ConfigProblem[]> {
  const users = new LdapUserSearch(settings);
  return new LdapConnector(settings).asAdmin(async (client) => {
    const problems: ConfigProblem[] = [];
    if (!(await users.anyUserExists(client))) {
      problems.push({
        key: 'LDAP_USER_RDN',
        message:
          `Verification that users exist failed: no entry with ${settings.uidAttr} under ${settings.userBases.join('; ')}. ` +
          'No users exist in the directory or LDAP auth is misconfigured.',
      });
    }
    for (const name of config.SUPER_USERS) {
      if ((await users.findByLogin(client, name)).length === 0) problems.push(superuserNotFound(name));
    }
    return problems;
  });
}

export async function checkLdap(config: QuaysideConfig): Promise<ConfigProblem[]> {
  if (config.AUTHENTICATION_TYPE !== 'LDAP') return [];
  const problems = filterProblems(config);
  let settings: LdapSettings;
  try {
    settings = resolveLdapSettings(config);
  } catch (err) {
    return [...problems, { key: 'AUTHENTICATION_TYPE', message: (err as Error).message }];
  }
  try {
    problems.push(...(await directoryProblems(config, settings)));
  } catch (err) {
    if (err instanceof LdapAdminCredentialsError) {
      problems.push({
        key: 'LDAP_ADMIN_DN',
        message: 'Invalid credentials: the directory refused LDAP_ADMIN_DN and LDAP_ADMIN_PASSWD',
      });
    } else if (err instanceof LdapUnavailableError) {
      problems.push({ key: 'LDAP_URI', message: `cannot connect to ${settings.url}: ${err.message}` });
    } else {
      throw err;
    }
  }
  return problems;
}
