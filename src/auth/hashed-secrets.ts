import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Secrets stored only as a hash (session cookies, OAuth access tokens). They are long random
 * strings, so a fast hash is enough: there is nothing to brute-force.
 */

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `secret` hashes to `storedHash`, compared in constant time. */
export function secretMatchesHash(secret: string, storedHash: string): boolean {
  const actual = Buffer.from(hashSecret(secret), 'hex');
  const expected = Buffer.from(storedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
