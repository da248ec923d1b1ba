import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { QuaysideConfig } from '../config/load.js';

/**
 * Encrypts secrets kept in the database (robot tokens, app-specific tokens, OAuth client secrets)
 * with a key derived from DATABASE_SECRET_KEY: AES-256-GCM, stored as `v1$<base64 iv|tag|ciphertext>`.
 */
export interface SecretBox {
  seal(plaintext: string): string;
  /** Undefined when the value was not sealed with this key or was tampered with. */
  open(sealed: string): string | undefined;
}

const VERSION_PREFIX = 'v1$';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export function createSecretBox(keyMaterial: string): SecretBox {
  const key = createHash('sha256').update(`quayside database secret:${keyMaterial}`, 'utf8').digest();
  return {
    seal(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return VERSION_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    },
    open(sealed) {
      if (!sealed.startsWith(VERSION_PREFIX)) return undefined;
      const raw = Buffer.from(sealed.slice(VERSION_PREFIX.length), 'base64');
      if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
}

/** Whether `sealed` opens to exactly `presented` (a token someone sent), compared in constant time. */
export function sealedSecretMatches(secrets: SecretBox, sealed: string, presented: string): boolean {
  const stored = secrets.open(sealed);
  if (stored === undefined) return false;
  const left = Buffer.from(stored, 'utf8');
  const right = Buffer.from(presented, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

const GENERATED_KEY_FILE = 'database-secret-key';

/**
 * DATABASE_SECRET_KEY from config.yaml; without one, a key generated once and kept (mode 0600) in
 * the data directory, which suits a single instance. Replicas must share DATABASE_SECRET_KEY.
 */
export function resolveDatabaseSecretKey(config: Pick<QuaysideConfig, 'DATABASE_SECRET_KEY' | 'dataDir'>): string {
  if (config.DATABASE_SECRET_KEY) return config.DATABASE_SECRET_KEY;
  const file = path.join(config.dataDir, GENERATED_KEY_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.dataDir, { recursive: true });
  const generated = randomBytes(32).toString('base64url');
  // 'wx': if another process created the file first, read theirs instead of overwriting it.
  try {
    writeFileSync(file, `${generated}\n`, { mode: 0o600, flag: 'wx' });
    return generated;
  } catch {
    return readFileSync(file, 'utf8').trim();
  }
}
