import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import type { ConnectionOptions } from 'node:tls';

/** Where Quay keeps extra CA certificates for outgoing TLS: `extra_ca_certs/` in the config directory. */
export const EXTRA_CA_CERTS_DIR = 'extra_ca_certs';
const CERTIFICATE_FILE = /\.(crt|pem)$/i;

/** The PEM files in `<configDir>/extra_ca_certs/` (none when there is no config directory). */
export function loadExtraCaCertificates(configDir: string | undefined): string[] {
  if (!configDir) return [];
  const dir = path.join(configDir, EXTRA_CA_CERTS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => CERTIFICATE_FILE.test(file))
    .sort()
    .map((file) => readFileSync(path.join(dir, file), 'utf8'));
}

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
