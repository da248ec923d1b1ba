import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Where Quay keeps extra CA certificates for outgoing TLS: `extra_ca_certs/` in the config directory. */
export const EXTRA_CA_CERTS_DIR = 'extra_ca_certs';
const CERTIFICATE_FILE = /\.(crt|pem)$/i;

/** The PEM files in `<configDir>/extra_ca_certs/`, by file name (none when there is no config directory). */
export function readExtraCaCerts(configDir: string | undefined): string[] {
  if (!configDir) return [];
  const dir = path.join(configDir, EXTRA_CA_CERTS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => CERTIFICATE_FILE.test(file))
    .sort()
    .map((file) => readFileSync(path.join(dir, file), 'utf8'));
}
