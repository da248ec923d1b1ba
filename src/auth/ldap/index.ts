import type { Kysely } from 'kysely';
import type { QuaysideConfig } from '../../config/load.js';
import type { Database } from '../../db/tables.js';
import type { UserDirectory } from '../directory.js';

/** The LDAP user directory for AUTHENTICATION_TYPE: LDAP. (Being written: see issue 3.) */
export function createLdapDirectory(_config: QuaysideConfig, _db: Kysely<Database>): UserDirectory {
  throw new Error('LDAP authentication is not available yet');
}
