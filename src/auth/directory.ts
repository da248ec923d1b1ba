import type { Namespace } from '../model/namespaces.js';

/**
 * An external user directory (AUTHENTICATION_TYPE: LDAP): checks a username and password against
 * it and returns the local account linked to that identity, creating it on first sign-in when
 * FEATURE_USER_CREATION allows. Throws Unauthorized for bad credentials or a refused creation.
 */
export interface UserDirectory {
  verifyAndLink(username: string, password: string): Promise<Namespace>;
  /** Whether the user's directory entry marks them as a superuser (LDAP_SUPERUSER_FILTER). */
  isSuperuser?(user: Namespace): Promise<boolean>;
  /** Resolves when the directory can be reached with the configured credentials; throws why not. */
  ping?(): Promise<void>;
  close(): Promise<void>;
}
