import { createHmac, randomBytes } from 'node:crypto';
import { TtlCache } from './ttl-cache.js';

/**
 * Remembers, for a short while, that a password matched a stored bcrypt hash, so that clients
 * sending basic auth on every /v2/ request do not pay a bcrypt check each time. Entries are keyed
 * by an HMAC under a per-process random key (the password itself is never kept) and include the
 * stored hash, so a password change invalidates them at once.
 */
export class VerifiedPasswordCache {
  private readonly key = randomBytes(32);
  private readonly verified: TtlCache<true>;

  constructor(
    private readonly ttlMs = 60_000,
    maxEntries = 10_000,
  ) {
    this.verified = new TtlCache(maxEntries);
  }

  private entryKey(userId: number, passwordHash: string, password: string): string {
    return createHmac('sha256', this.key).update(`${userId}\0${passwordHash}\0${password}`).digest('base64');
  }

  has(userId: number, passwordHash: string, password: string, now = Date.now()): boolean {
    return this.verified.get(this.entryKey(userId, passwordHash, password), now) === true;
  }

  remember(userId: number, passwordHash: string, password: string, now = Date.now()): void {
    this.verified.set(this.entryKey(userId, passwordHash, password), true, now + this.ttlMs);
  }
}
