import type { QuaysideConfig } from '../config/load.js';

/** Storage parameters whose values are credentials (s3_access_key, secret_key, aws_session_token...). */
const SECRET_PARAMETER = /key|secret|passw|token|credential/i;
/** user:password@ in any URL a driver or client library quotes back. */
const URL_USER_INFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi;
/** Shorter values would blot out ordinary words. */
const MIN_SECRET_LENGTH = 4;
const REDACTED = '[redacted]';

function databaseSecrets(uri: string | undefined): string[] {
  if (!uri) return [];
  const secrets = [uri];
  try {
    const password = new URL(uri).password;
    if (password) secrets.push(password, decodeURIComponent(password));
  } catch {
    // Not a URL the parser understands: the whole URI is still removed.
  }
  return secrets;
}

function storageSecrets(config: QuaysideConfig): string[] {
  const secrets: string[] = [];
  for (const [, params] of Object.values(config.storage.locations)) {
    for (const [name, value] of Object.entries(params)) {
      if (typeof value === 'string' && SECRET_PARAMETER.test(name)) secrets.push(value);
    }
  }
  return secrets;
}

/** Every configured secret a failure message could quote. */
function configuredSecrets(config: QuaysideConfig): string[] {
  const secrets = [
    ...databaseSecrets(config.DB_URI),
    ...storageSecrets(config),
    config.LDAP_ADMIN_PASSWD,
    config.DATABASE_SECRET_KEY,
    config.SECRET_KEY,
  ];
  const usable = secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH);
  // Longest first, so a URI goes as a whole before the password inside it.
  return [...new Set(usable)].sort((a, b) => b.length - a.length);
}

/** A function that removes the configuration's secrets (and URL credentials) from a message. */
export function secretRedactor(config: QuaysideConfig): (text: string) => string {
  const secrets = configuredSecrets(config);
  return (text) => {
    let clean = text;
    for (const secret of secrets) clean = clean.replaceAll(secret, REDACTED);
    return clean.replace(URL_USER_INFO, `$1${REDACTED}@`);
  };
}
