import type { Kysely } from 'kysely';
import type { QuaysideConfig } from '../../config/load.js';
import type { Database } from '../../db/tables.js';
import { LdapDirectory, type LdapDirectoryOptions } from './ldap-directory.js';

export { LdapAdminCredentialsError, LdapConnector, LdapUnavailableError } from './connection.js';
export type { DirectoryUser } from './entries.js';
export { LdapDirectory, type LdapDirectoryOptions } from './ldap-directory.js';
export { resolveLdapSettings, type LdapSettings } from './settings.js';
export { LdapUserSearch } from './user-search.js';

/** The LDAP user directory for AUTHENTICATION_TYPE: LDAP. Connects lazily: nothing is contacted here. */
export function createLdapDirectory(
  config: QuaysideConfig,
  db: Kysely<Database>,
  options: LdapDirectoryOptions = {},
): LdapDirectory {
  return new LdapDirectory(config, db, options);
}
