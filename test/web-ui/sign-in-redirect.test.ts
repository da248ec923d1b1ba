import { describe, expect, it } from 'vitest';
import { safeRedirect } from '../../web/src/pages/auth/redirect.js';

/** After sign-in the UI returns to the page the user was on, never to another site. */
describe('sign-in redirect', () => {
  it('follows addresses inside the UI', () => {
    expect(safeRedirect('/repository/acme/app?tab=settings')).toBe('/repository/acme/app?tab=settings');
    expect(safeRedirect('/organization')).toBe('/organization');
  });

  it('refuses other sites and anything that is not a path', () => {
    for (const target of ['//evil.example.com/x', '/\\evil.example.com', '/\t/evil.example.com', '/a\\b', 'https://evil.example.com', 'javascript:alert(1)', '', null]) {
      expect(safeRedirect(target), String(target)).toBe('/');
    }
  });
});
