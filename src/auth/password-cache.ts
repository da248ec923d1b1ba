import { createHmac, randomBytes } from 'node:crypto';

/**
 * Remembers, for a short while, that a password matched a stored bcrypt hash, so that clients
 * sending basic auth on every /v2/ request do not pay a bcrypt check each time. Entries are keyed
 * by an HMAC under a per-process random key (the password itself is never kept) and include the
 * stored hash, so a password change invalidates them at once.
 */
export class VerifiedPasswordCache {
  private readonly key = randomBytes(32);
  private readonly entries = new Map<string, number>();

  constructor(
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  private entryKey(userId: number, passwordHash: string, password: string): string {
    return createHmac('sha256', this.key).update(`${userId}\0${passwordHash}\0${password}`).digest('base64');
  }

  has(userId: number, passwordHash: string, password: string, now = Date.now()): boolean {
    const key = this.entryKey(userId, passwordHash, password);
    const expires = this.entries.get(key);
    if (expires === undefined) return false;
    if (expires > now) return true;
    this.entries.delete(key);
    return false;
  }

  remember(userId: number, passwordHash: string, password: string, now = Date.now()): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    this.entries.set(this.entryKey(userId, passwordHash, password), now + this.ttlMs);
  }
}
