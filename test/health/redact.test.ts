import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { secretRedactor } from '../../src/health/redact.js';

/** Health failure messages reach superusers and the log: configured secrets never appear in them. */

const DB_PASSWORD = 'db-pa$$word';
const S3_ACCESS_KEY = 'AKIAHEALTHTEST';
const S3_SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/secret';
const LDAP_PASSWORD = 'ldap-admin-secret';

const config = loadConfig({
  dataDir: '/var/lib/quayside',
  env: {},
  overrides: {
    DB_URI: `postgresql://quay:${encodeURIComponent(DB_PASSWORD)}@db.example.org:5432/quay`,
    DISTRIBUTED_STORAGE_CONFIG: {
      s3_us: [
        'S3Storage',
        { s3_bucket: 'registry', s3_access_key: S3_ACCESS_KEY, s3_secret_key: S3_SECRET_KEY, storage_path: '/registry' },
      ],
    },
    LDAP_ADMIN_PASSWD: LDAP_PASSWORD,
  },
});
const redact = secretRedactor(config);

describe('secretRedactor', () => {
  it('removes the database URI and its password, storage keys and the LDAP admin password', () => {
    const message = [
      `could not connect to ${config.DB_URI}`,
      `password ${DB_PASSWORD} refused`,
      `key ${S3_ACCESS_KEY} with ${S3_SECRET_KEY}`,
      `bind with ${LDAP_PASSWORD} failed`,
    ].join('; ');
    const clean = redact(message);
    for (const secret of [DB_PASSWORD, encodeURIComponent(DB_PASSWORD), S3_ACCESS_KEY, S3_SECRET_KEY, LDAP_PASSWORD]) {
      expect(clean).not.toContain(secret);
    }
    expect(clean).toContain('could not connect to [redacted]');
    expect(clean).toContain('bind with [redacted] failed');
  });

  it('removes credentials from any URL, configured or not', () => {
    expect(redact('GET https://someone:other-secret@mirror.example.org/v2/ failed')).toBe(
      'GET https://[redacted]@mirror.example.org/v2/ failed',
    );
  });

  it('leaves messages without secrets alone', () => {
    const message = 'storage location "s3_us" (S3Storage) failed its self-check while writing an upload chunk: connect ECONNREFUSED';
    expect(redact(message)).toBe(message);
  });
});
