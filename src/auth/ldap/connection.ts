import { Client, type ClientOptions, InvalidCredentialsError } from 'ldapts';
import type { LdapSettings } from './settings.js';
import { readExtraCaCerts } from '../../net/extra-ca-certs.js';
import { ldapTlsOptions } from './tls.js';

/** The configured administrator DN or password was refused by the directory. */
export class LdapAdminCredentialsError extends Error {
  constructor() {
    super('Invalid credentials: the directory refused LDAP_ADMIN_DN / LDAP_ADMIN_PASSWD');
    this.name = 'LdapAdminCredentialsError';
  }
}

/** The directory could not be reached or failed to answer. */
export class LdapUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`the LDAP server could not be used: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'LdapUnavailableError';
  }
}

/**
 * Opens one short-lived connection per operation (bound, used, unbound), so that no state or
 * credentials linger and a directory restart needs no reconnect logic. Every connection is
 * bounded by LDAP_NETWORK_TIMEOUT (connect) and LDAP_TIMEOUT (each operation).
 */
export class LdapConnector {
  private readonly clientOptions: ClientOptions;

  constructor(private readonly settings: LdapSettings) {
    this.clientOptions = {
      url: settings.url,
      timeout: settings.operationTimeoutMs,
      connectTimeout: settings.connectTimeoutMs,
      strictDN: false,
    };
    if (settings.url.toLowerCase().startsWith('ldaps://')) {
      this.clientOptions.tlsOptions = ldapTlsOptions(
        readExtraCaCerts(settings.configDir),
        settings.allowInsecureFallback,
      );
    }
  }

  /** Runs `work` on a connection bound as LDAP_ADMIN_DN. */
  async asAdmin<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client(this.clientOptions);
    try {
      try {
        await client.bind(this.settings.adminDn, this.settings.adminPassword);
      } catch (err) {
        if (err instanceof InvalidCredentialsError) throw new LdapAdminCredentialsError();
        throw new LdapUnavailableError(err);
      }
      return await work(client);
    } catch (err) {
      if (err instanceof LdapAdminCredentialsError || err instanceof LdapUnavailableError) throw err;
      throw new LdapUnavailableError(err);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  /**
   * Whether `password` is the password of the entry `dn`, by binding as it. An empty password is
   * never tried: many servers take it as an anonymous bind and report success.
   */
  async passwordMatches(dn: string, password: string): Promise<boolean> {
    if (password.length === 0) return false;
    const client = new Client(this.clientOptions);
    try {
      await client.bind(dn, password);
      return true;
    } catch (err) {
      if (err instanceof InvalidCredentialsError) return false;
      throw new LdapUnavailableError(err);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
}
