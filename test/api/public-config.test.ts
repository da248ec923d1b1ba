import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** GET /config: what the UI reads before sign-in, and nothing secret. */
describe('GET /config', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry({
      overrides: {
        REGISTRY_TITLE: 'Acme Registry',
        REGISTRY_TITLE_SHORT: 'Acme',
        BRANDING: { logo: 'https://cdn.example.com/logo.svg', footer_url: 'https://example.com' },
        FEATURE_USER_CREATION: false,
        SERVER_HOSTNAME: 'registry.example.com',
        DATABASE_SECRET_KEY: 'db-secret-value-that-must-not-leak',
        SECRET_KEY: 'secret-key-value-that-must-not-leak',
        MAIL_PASSWORD: 'mail-password-that-must-not-leak',
      },
    });
  });
  afterAll(async () => registry?.close());

  it('answers anyone with titles, branding, features and the registry state', async () => {
    const res = await fetch(`${registry.url}/config`);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.config.REGISTRY_TITLE).toBe('Acme Registry');
    expect(body.config.REGISTRY_TITLE_SHORT).toBe('Acme');
    expect(body.config.BRANDING).toEqual({ logo: 'https://cdn.example.com/logo.svg', footer_url: 'https://example.com' });
    expect(body.config.SERVER_HOSTNAME).toBe('registry.example.com');
    expect(body.features.USER_CREATION).toBe(false);
    expect(body.features.SUPER_USERS).toBe(true);
    expect(body.registry_state).toBe('normal');
  });

  it('leaves out REGISTRY_TITLE_SHORT when it is not set, so the UI falls back to REGISTRY_TITLE', async () => {
    const plain = await startTestRegistry({ overrides: { REGISTRY_TITLE: 'Only Long' } });
    try {
      const body = await (await fetch(`${plain.url}/config`)).json();
      expect(body.config.REGISTRY_TITLE).toBe('Only Long');
      expect(body.config).not.toHaveProperty('REGISTRY_TITLE_SHORT');
    } finally {
      await plain.close();
    }
  });

  it('lists no secret from config.yaml', async () => {
    const text = await (await fetch(`${registry.url}/config`)).text();
    expect(text).not.toContain('must-not-leak');
    expect(text).not.toMatch(/DB_URI|SECRET_KEY|MAIL_PASSWORD/);
  });

  it('refuses a BRANDING footer_url that is not a web address', async () => {
    await expect(
      startTestRegistry({ overrides: { BRANDING: { footer_url: 'javascript:alert(1)' } } }),
    ).rejects.toThrow(/BRANDING/);
  });
});
