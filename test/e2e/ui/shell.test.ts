import { describe, expect, it } from 'vitest';
import { deleteSession } from '../../../src/model/sessions.js';
import { expectNoHorizontalOverflow, NARROW, PASSWORD, uiTestsRunnable, useUiSuite } from './harness.js';

/**
 * Flow 1 (sign in, sign out, create account, session expiry) and flow 12 (appearance, branding,
 * titles), plus the frame every page shares at both widths.
 */
describe.skipIf(!uiTestsRunnable())('web UI: sign-in, account, appearance, branding', () => {
  const ui = useUiSuite({
    REGISTRY_TITLE: 'Acme Container Registry',
    REGISTRY_TITLE_SHORT: 'ACR',
    BRANDING: { logo: '/quayside-logo.svg', footer_img: '/favicon.svg', footer_url: 'https://example.com/acme' },
  });

  it('signs in with the form, shows the user, and signs out', async () => {
    const page = await ui.newPage();
    await page.goto('/repository');
    await page.waitForURL(/\/signin\?redirect=%2Frepository/);
    await ui.screenshot(page, 'signin');
    await page.locator('#signin-username').fill('alice');
    await page.locator('#signin-password').fill('wrong password');
    ui.allowConsoleError(/status of 403.*\/api\/v1\/signin\)$/);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('signin-error').textContent()).resolves.toMatch(/invalid username or password/i);

    await page.locator('#signin-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/repository$/);
    await expect(page.getByTestId('user-menu-toggle').textContent()).resolves.toBe('alice');

    await page.getByTestId('user-menu-toggle').click();
    await page.getByTestId('sign-out').click();
    await page.waitForURL(/\/signin/);
    const sessions = await ui.registry.ctx.db.selectFrom('user_session').select('id').execute();
    expect(sessions, 'sign-out ends the session row').toEqual([]);
  });

  it('creates an account that can then use the API', async () => {
    const page = await ui.newPage();
    await page.goto('/signin');
    await page.getByRole('link', { name: 'Create account' }).click();
    await page.locator('#new-username').fill('carol');
    await page.locator('#new-email').fill('carol@example.com');
    await page.locator('#new-password').fill('carol-Pa55word');
    await page.locator('#new-password-repeat').fill('carol-Pa55word');
    await ui.screenshot(page, 'create-account');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/repository$/);
    await expect(page.getByTestId('user-menu-toggle').textContent()).resolves.toBe('carol');
    const carol = await (await ui.api('admin')).get('/api/v1/superuser/users/carol');
    expect(carol.status, carol.describe()).toBe(200);
    expect(carol.body.email).toBe('carol@example.com');
  });

  it('returns to sign-in when the session expires, then back to the page', async () => {
    const page = await ui.signedInPage('bob');
    await page.goto('/user/bob');
    await page.getByTestId('user-title').waitFor();
    // The session ends on the server (expiry or revocation): the next page change notices.
    const rows = await ui.registry.ctx.db.selectFrom('user_session').select('id').execute();
    for (const row of rows) await deleteSession(ui.registry.ctx.db, row.id);
    ui.allowConsoleError(/status of 401/);
    await page.getByRole('link', { name: 'Organizations' }).click();
    await page.waitForURL(/\/signin\?redirect=%2Forganization$/);
    await page.getByTestId('signin-needed').waitFor();
    await page.locator('#signin-username').fill('bob');
    await page.locator('#signin-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/organization$/);
    await page.getByRole('heading', { name: 'Organizations', level: 1 }).waitFor();
  });

  it('switches between light, dark and device-based themes', async () => {
    const page = await ui.signedInPage('alice');
    await page.getByTestId('user-menu-toggle').click();
    await page.getByRole('menuitem', { name: 'Account settings' }).click();
    await page.waitForURL(/\/user\/alice\?tab=settings/);
    const isDark = () => page.evaluate(() => document.documentElement.classList.contains('pf-v6-theme-dark'));
    await page.getByLabel('Dark theme').check();
    expect(await isDark()).toBe(true);
    await ui.screenshot(page, 'appearance-dark');
    await page.reload();
    expect(await isDark(), 'the choice survives a reload').toBe(true);
    await page.getByLabel('Light theme').check();
    expect(await isDark()).toBe(false);
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.getByLabel('Device-based theme').check();
    expect(await isDark(), 'device-based follows a dark device').toBe(true);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.waitForFunction(() => !document.documentElement.classList.contains('pf-v6-theme-dark'));
  });

  it('shows REGISTRY_TITLE, BRANDING and the short title on narrow screens', async () => {
    const config = await (await fetch(`${ui.registry.url}/config`)).json();
    expect(config.config.REGISTRY_TITLE).toBe('Acme Container Registry');
    expect(config.features.USER_CREATION).toBe(true);
    const page = await ui.signedInPage('alice');
    await expect(page.getByTestId('brand-logo').getAttribute('src')).resolves.toBe('/quayside-logo.svg');
    await expect(page.getByTestId('footer-link').getAttribute('href')).resolves.toBe('https://example.com/acme');
    await expect(page.getByTestId('footer-img').getAttribute('src')).resolves.toBe('/favicon.svg');
    await expect(page.title()).resolves.toBe('Acme Container Registry');
    await ui.screenshot(page, 'branding');

    const narrow = await ui.signedInPage('alice', NARROW);
    await expectNoHorizontalOverflow(narrow);
    await ui.screenshot(narrow, 'repositories-narrow');
  });

  it('renders a Markdown global message as text, bold and links, never as HTML', async () => {
    const admin = await ui.api('admin');
    const content = '**Maintenance** tonight, see [the status page](https://status.example.com)\n<img src=x onerror="alert(1)">';
    const created = await admin.post('/api/v1/messages', { message: { content, media_type: 'text/markdown', severity: 'info' } });
    expect(created.status, created.describe()).toBe(201);
    const page = await ui.signedInPage('bob');
    const banner = page.getByTestId('global-message');
    await expect(banner.locator('strong').textContent()).resolves.toBe('Maintenance');
    await expect(banner.getByRole('link', { name: 'the status page' }).getAttribute('href')).resolves.toBe('https://status.example.com');
    expect(await banner.locator('img').count(), 'markup in a message stays text').toBe(0);
    await expect(banner.textContent()).resolves.toContain('<img src=x');
    await ui.screenshot(page, 'global-message-markdown');
  });
});
