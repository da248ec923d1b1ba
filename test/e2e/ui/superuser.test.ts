import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { generateServiceKey } from '../../../src/model/service-keys.js';
import { expectNoHorizontalOverflow, NARROW, uiTestsRunnable, useUiSuite } from './harness.js';

/**
 * Flow 13: the superuser panel (users, organizations, global messages, service keys, usage logs),
 * its refusal for other users, and the read-only banner.
 */

/** Opens the row's kebab menu and picks `action`. */
async function rowAction(page: Page, rowTestId: string, action: string): Promise<void> {
  await page.getByTestId(rowTestId).getByRole('button', { name: 'Kebab toggle' }).click();
  await page.getByRole('menuitem', { name: action }).click();
}

async function confirmDelete(page: Page): Promise<void> {
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Type confirm').fill('confirm');
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await dialog.waitFor({ state: 'detached' });
}

describe.skipIf(!uiTestsRunnable())('web UI: superuser panel', () => {
  const ui = useUiSuite();

  /** POST /api/v1/signin as a browser without a session would; the status says whether it was accepted. */
  async function signInStatus(username: string, password: string): Promise<number> {
    const response = await fetch(`${ui.registry.url}/api/v1/signin`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    return response.status;
  }

  it('creates, disables, enables, re-passwords and deletes a user', async () => {
    const admin = await ui.api('admin');
    const page = await ui.signedInPage('admin');
    await page.getByRole('link', { name: 'Superuser' }).click();
    await page.waitForURL(/\/superuser$/);
    await page.getByTestId('user-row-alice').waitFor();
    await expect(page.getByTestId('registry-size').textContent()).resolves.toMatch(/Registry size: \d/);
    await ui.screenshot(page, 'superuser-users');

    await page.getByRole('button', { name: 'Create user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Username').fill('dave');
    await dialog.getByLabel('E-mail address').fill('dave@example.com');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    const temporary = await page.getByTestId('created-password').locator('input').inputValue();
    expect(temporary).toMatch(/^[A-Z0-9]{32}$/);
    const dave = await admin.get('/api/v1/superuser/users/dave');
    expect(dave.status, dave.describe()).toBe(200);
    expect(dave.body).toMatchObject({ email: 'dave@example.com', enabled: true, super_user: false });
    expect(await signInStatus('dave', temporary), 'the shown password is the real one').toBe(200);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.getByTestId('user-row-dave').waitFor();

    await rowAction(page, 'user-row-dave', 'Disable user');
    await page.getByTestId('user-row-dave').getByText('Disabled').waitFor();
    expect((await admin.get('/api/v1/superuser/users/dave')).body.enabled).toBe(false);
    expect(await signInStatus('dave', temporary), 'a disabled user cannot sign in').not.toBe(200);

    await rowAction(page, 'user-row-dave', 'Enable user');
    await page.getByTestId('user-row-dave').getByText('Enabled').waitFor();
    expect((await admin.get('/api/v1/superuser/users/dave')).body.enabled).toBe(true);

    await rowAction(page, 'user-row-dave', 'Change password');
    await dialog.getByLabel('New password').fill('dave-New-Pa55word');
    await dialog.getByRole('button', { name: 'Change password' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await signInStatus('dave', 'dave-New-Pa55word'), 'the new password signs in').toBe(200);
    expect(await signInStatus('dave', temporary), 'the old one no longer does').not.toBe(200);

    await rowAction(page, 'user-row-dave', 'Delete user');
    await confirmDelete(page);
    await page.getByTestId('user-row-dave').waitFor({ state: 'detached' });
    const gone = await admin.get('/api/v1/superuser/users/dave');
    expect(gone.status, gone.describe()).toBe(404);
  });

  it('fits the users tab on a narrow screen', async () => {
    const narrow = await ui.signedInPage('admin', NARROW);
    await narrow.goto('/superuser?tab=users');
    await narrow.getByTestId('user-row-alice').waitFor();
    await expectNoHorizontalOverflow(narrow);
    await ui.screenshot(narrow, 'superuser-users-narrow');
  });

  it('shows a server error in the form, and the usage logs tab', async () => {
    const page = await ui.signedInPage('admin');
    await page.goto('/superuser');
    await page.getByRole('button', { name: 'Create user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Username').fill('alice');
    ui.allowConsoleError(/status of 400/);
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await expect(dialog.getByTestId('form-error').textContent()).resolves.toMatch(/alice|exists|taken/i);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('tab', { name: 'Usage logs' }).click();
    await page.waitForURL(/tab=logs/);
    await ui.screenshot(page, 'superuser-logs');
  });

  it('renames, takes ownership of and deletes organizations', async () => {
    const alice = await ui.api('alice');
    const created = await alice.post('/api/v1/organization/', { name: 'acme', email: 'acme@example.com' });
    expect(created.status, created.describe()).toBe(201);
    const admin = await ui.api('admin');
    const page = await ui.signedInPage('admin');
    await page.goto('/superuser?tab=organizations');
    await page.getByTestId('organization-row-acme').waitFor();
    await ui.screenshot(page, 'superuser-organizations');

    await rowAction(page, 'organization-row-acme', 'Rename organization');
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('New name').fill('acme-corp');
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await page.getByTestId('organization-row-acme-corp').waitFor();
    const names = (await admin.get('/api/v1/superuser/organizations/')).body.organizations.map((o: { name: string }) => o.name);
    expect(names).toContain('acme-corp');
    expect(names).not.toContain('acme');

    await rowAction(page, 'organization-row-acme-corp', 'Take ownership');
    await page.getByTestId('toast').filter({ hasText: 'administrator of acme-corp' }).waitFor();
    const owners = await admin.get('/api/v1/organization/acme-corp/team/owners/members');
    expect(owners.status, owners.describe()).toBe(200);
    expect(owners.body.members.map((m: { name: string }) => m.name)).toContain('admin');

    await rowAction(page, 'organization-row-acme-corp', 'Delete organization');
    await confirmDelete(page);
    await page.getByTestId('organization-row-acme-corp').waitFor({ state: 'detached' });
    const after = (await admin.get('/api/v1/superuser/organizations/')).body.organizations;
    expect(after.map((o: { name: string }) => o.name)).not.toContain('acme-corp');
  });

  it('creates a warning banner that every user sees, then deletes it', async () => {
    const admin = await ui.api('admin');
    const page = await ui.signedInPage('admin');
    await page.goto('/superuser?tab=messages');
    await page.getByRole('button', { name: 'Create message' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Severity').selectOption('warning');
    await dialog.getByLabel('Message').fill('Maintenance tonight at 22:00');
    await dialog.getByRole('button', { name: 'Create message' }).click();
    await dialog.waitFor({ state: 'detached' });
    const ownBanner = page.getByTestId('global-message');
    await ownBanner.waitFor();
    await expect(ownBanner.getAttribute('data-severity')).resolves.toBe('warning');
    const listed = (await admin.get('/api/v1/messages')).body.messages;
    expect(listed).toEqual([expect.objectContaining({ content: 'Maintenance tonight at 22:00', severity: 'warning', media_type: 'text/plain' })]);
    await page.getByTestId('message-row').waitFor();
    await ui.screenshot(page, 'superuser-messages');

    const alicePage = await ui.signedInPage('alice');
    await alicePage.goto('/organization');
    const banner = alicePage.getByTestId('global-message');
    await banner.waitFor();
    await expect(banner.getAttribute('data-severity')).resolves.toBe('warning');
    await expect(banner.textContent()).resolves.toContain('Maintenance tonight at 22:00');

    await page.getByRole('button', { name: 'Delete message' }).click();
    await page.getByText('No global messages.').waitFor();
    await page.getByTestId('global-message').waitFor({ state: 'detached' });
    expect((await admin.get('/api/v1/messages')).body.messages).toEqual([]);
  });

  it('approves a waiting service key, creates, changes and deletes one', async () => {
    const waiting = await generateServiceKey(ui.registry.ctx.db, { service: 'e2e_waiting', name: 'waiting key', metadata: {}, expiresAt: null });
    const admin = await ui.api('admin');
    const keyOf = async (kid: string) => (await admin.get('/api/v1/superuser/keys')).body.keys.find((k: { kid: string }) => k.kid === kid);
    const page = await ui.signedInPage('admin');
    await page.goto('/superuser?tab=keys');
    const waitingRow = page.getByTestId(`key-row-${waiting.key.kid}`);
    await waitingRow.getByText('Awaiting approval').waitFor();

    await rowAction(page, `key-row-${waiting.key.kid}`, 'Approve key');
    await waitingRow.getByText('Approved by admin').waitFor();
    expect((await keyOf(waiting.key.kid)).approval).toMatchObject({ approver: { username: 'admin' } });

    await page.getByRole('button', { name: 'Create service key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Service').fill('e2e_svc');
    await dialog.getByLabel('Name', { exact: true }).fill('ui key');
    const inThirtyDays = new Date(Date.now() + 30 * 86_400_000);
    const day = `${inThirtyDays.getFullYear()}-${String(inThirtyDays.getMonth() + 1).padStart(2, '0')}-${String(inThirtyDays.getDate()).padStart(2, '0')}`;
    await dialog.getByLabel('Expiration date').fill(day);
    await dialog.getByRole('button', { name: 'Create key' }).click();
    const privateKey = page.getByTestId('created-private-key');
    await privateKey.waitFor();
    await expect(privateKey.textContent()).resolves.toContain('PRIVATE KEY-----');
    await dialog.getByRole('button', { name: 'Done' }).click();
    const keys = (await admin.get('/api/v1/superuser/keys')).body.keys;
    const created = keys.find((k: { service: string }) => k.service === 'e2e_svc');
    expect(created, JSON.stringify(keys)).toMatchObject({ name: 'ui key', approval: { approver: { username: 'admin' } } });
    const expires = new Date(created.expiration_date);
    expect(Math.abs(expires.getTime() - inThirtyDays.getTime())).toBeLessThan(86_400_000);
    await page.getByTestId(`key-row-${created.kid}`).waitFor();
    await ui.screenshot(page, 'superuser-keys');

    await rowAction(page, `key-row-${created.kid}`, 'Change name or expiration');
    await dialog.getByLabel('Name', { exact: true }).fill('renamed key');
    await dialog.getByLabel('Expiration date').fill('');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await keyOf(created.kid)).toMatchObject({ name: 'renamed key', expiration_date: null });

    await rowAction(page, `key-row-${created.kid}`, 'Delete key');
    await confirmDelete(page);
    await page.getByTestId(`key-row-${created.kid}`).waitFor({ state: 'detached' });
    expect(await keyOf(created.kid)).toBeUndefined();
  });

  it('refuses other users and hides the Superuser navigation item', async () => {
    const page = await ui.signedInPage('alice');
    await page.goto('/superuser');
    await page.getByTestId('superuser-only').waitFor();
    await expect(page.getByTestId('superuser-only').textContent()).resolves.toMatch(/superusers only/i);
    expect(await page.getByRole('link', { name: 'Superuser' }).count()).toBe(0);
    expect(await page.getByTestId('users-table').count()).toBe(0);
  });
});

describe.skipIf(!uiTestsRunnable())('web UI: read-only registry', () => {
  const ui = useUiSuite({ REGISTRY_STATE: 'readonly' });

  it('shows the read-only banner to everyone and the refusal of writes', async () => {
    const config = await (await fetch(`${ui.registry.url}/config`)).json();
    expect(config.registry_state).toBe('readonly');
    const alicePage = await ui.signedInPage('alice');
    await alicePage.getByTestId('readonly-banner').waitFor();
    await ui.screenshot(alicePage, 'readonly-banner');

    const page = await ui.signedInPage('admin');
    await page.goto('/superuser?tab=messages');
    await page.getByTestId('readonly-banner').waitFor();
    await page.getByRole('button', { name: 'Create message' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Message').fill('Will not be stored');
    ui.allowConsoleError(/status of 503/);
    await dialog.getByRole('button', { name: 'Create message' }).click();
    await expect(dialog.getByTestId('form-error').textContent()).resolves.toMatch(/read-only/i);
    expect((await (await ui.api('admin')).get('/api/v1/messages')).body.messages).toEqual([]);
  });
});
