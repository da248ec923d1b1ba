import { rootCertificates } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';

/**
 * TLS options for ldaps://: the system's trusted roots plus the extra CA certificates.
 * LDAP_ALLOW_INSECURE_FALLBACK accepts a certificate that cannot be verified, as Quay's "try" mode does.
 */
export function ldapTlsOptions(extraCaCertificates: readonly string[], allowInsecureFallback: boolean): ConnectionOptions {
  const options: ConnectionOptions = { rejectUnauthorized: !allowInsecureFallback };
  // Giving `ca` replaces Node's default roots, so they are passed along explicitly.
  if (extraCaCertificates.length > 0) options.ca = [...rootCertificates, ...extraCaCertificates];
  return options;
}
