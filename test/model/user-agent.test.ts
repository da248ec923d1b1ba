import { describe, expect, it } from 'vitest';
import { loggedUserAgent } from '../../src/model/user-agent.js';

describe('loggedUserAgent', () => {
  it('keeps at most 512 characters, and null for a missing or empty header', () => {
    expect(loggedUserAgent('docker/24.0')).toBe('docker/24.0');
    expect(loggedUserAgent('a'.repeat(600))).toBe('a'.repeat(512));
    expect(loggedUserAgent(undefined)).toBeNull();
    expect(loggedUserAgent('')).toBeNull();
  });
});
