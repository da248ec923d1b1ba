import { describe, expect, it } from 'vitest';
import { VerifiedPasswordCache } from '../../src/auth/password-cache.js';

describe('VerifiedPasswordCache', () => {
  it('remembers a verified password only for the same user, hash and password, until it expires', () => {
    const cache = new VerifiedPasswordCache(1000, 10);
    cache.remember(1, '$2b$hash', 'secret-1', 0);
    expect(cache.has(1, '$2b$hash', 'secret-1', 500)).toBe(true);
    expect(cache.has(1, '$2b$hash', 'secret-2', 500)).toBe(false);
    expect(cache.has(2, '$2b$hash', 'secret-1', 500)).toBe(false);
    expect(cache.has(1, '$2b$changed', 'secret-1', 500)).toBe(false);
    expect(cache.has(1, '$2b$hash', 'secret-1', 1500)).toBe(false);
  });

  it('stays bounded', () => {
    const cache = new VerifiedPasswordCache(60_000, 3);
    for (let i = 0; i < 5; i++) cache.remember(i, 'h', 'p', 0);
    expect(cache.has(4, 'h', 'p', 1)).toBe(true);
    expect(cache.has(0, 'h', 'p', 1)).toBe(false);
  });
});
