import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectNoHorizontalOverflow, NARROW, uiTestsRunnable, useUiSuite } from './harness.js';

/**
 * Flow 2 (the organizations list: create, bulk delete; the organization settings tab) and flow 10
 * (default permissions), clicked through in the browser and checked through the API.
 */
describe.skipIf(!uiTestsRunnable())('web UI: organizations, settings, default permissions', () => {
  const ui = useUiSuite();

  async function createOrganizationThroughApi(name: string): Promise<void> {
    const created = await (await ui.api('alice')).post('/api/v1/organization/', { name, email: `${name}@example.com` });
    expect(created.status, created.describe()).toBe(201);
  }

  async function organizationStatus(name: string): Promise<number> {
    return (await (await ui.api('admin')).get(`/api/v1/organization/${name}`)).status;
  }

  it('creates an organization, lists it with its counts, and bulk-deletes two through the confirm dialog', async () => {
    await createOrganizationThroughApi('doomed-one');
    await createOrganizationThroughApi('doomed-two');
    await createOrganizationThroughApi('keeper');
    const repo = await (await ui.api('alice')).post('/api/v1/repository', {
      namespace: 'keeper',
      repository: 'app',
      visibility: 'private',
      description: '',
    });
    expect(repo.status, repo.describe()).toBe(201);

    const page = await ui.signedInPage('alice');
    await page.goto('/organization');
    await page.getByRole('button', { name: 'Create Organization' }).click();
    await page.locator('#new-organization-name').fill('acme');
    await page.locator('#new-organization-email').fill('acme@example.com');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByTestId('organization-row-acme').waitFor();
    const acme = await (await ui.api('alice')).get('/api/v1/organization/acme');
    expect(acme.status, acme.describe()).toBe(200);
    expect(acme.body.email).toBe('acme@example.com');
    expect(acme.body.teams?.owners?.member_count, 'the creator owns the new organization').toBe(1);

    const keeper = page.getByTestId('organization-row-keeper');
    await expect.poll(() => keeper.locator('td[data-label="Repositories"]').textContent()).toBe('1');
    await expect.poll(() => keeper.locator('td[data-label="Teams"]').textContent()).toBe('1');
    await expect.poll(() => keeper.locator('td[data-label="Members"]').textContent()).toBe('1');

    await page.getByLabel('Search organizations by name').fill('doomed');
    await page.getByTestId('organization-row-keeper').waitFor({ state: 'detached' });
    await ui.screenshot(page, 'organizations-list');
    await page.getByLabel('Search organizations by name').fill('');
    await page.getByTestId('organization-row-doomed-one').getByRole('checkbox').check();
    await page.getByTestId('organization-row-doomed-two').getByRole('checkbox').check();
    await page.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: 'Delete (2)' }).click();

    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.getByTestId('delete-list').locator('li').allTextContents()).toEqual(['doomed-one', 'doomed-two']);
    await dialog.getByLabel('Search items to delete').fill('two');
    await expect.poll(() => dialog.getByTestId('delete-list').locator('li').allTextContents()).toEqual(['doomed-two']);
    const deleteButton = dialog.getByRole('button', { name: 'Delete' });
    expect(await deleteButton.isDisabled(), 'Delete waits for "confirm"').toBe(true);
    await dialog.getByLabel('Type confirm').fill('confirm');
    await deleteButton.click();
    await page.getByTestId('organization-row-doomed-one').waitFor({ state: 'detached' });
    await page.getByTestId('organization-row-doomed-two').waitFor({ state: 'detached' });
    await page.getByTestId('toast').filter({ hasText: 'Deleted 2 organizations' }).waitFor();

    expect(await organizationStatus('doomed-one')).toBe(404);
    expect(await organizationStatus('doomed-two')).toBe(404);
    expect(await organizationStatus('keeper'), 'an unselected organization stays').toBe(200);
    expect(await organizationStatus('acme')).toBe(200);

    const narrow = await ui.signedInPage('alice', NARROW);
    await narrow.goto('/organization');
    await narrow.getByTestId('organization-row-keeper').waitFor();
    await expectNoHorizontalOverflow(narrow);
    await ui.screenshot(narrow, 'organizations-list-narrow');
  });

  it('changes the e-mail and time-machine window of an organization', async () => {
    await createOrganizationThroughApi('settled');
    const page = await ui.signedInPage('alice');
    await page.goto('/organization/settled?tab=settings');
    const email = page.locator('#organization-email');
    await expect.poll(() => email.inputValue()).toBe('settled@example.com');
    const timeMachine = page.locator('#organization-time-machine');
    // The suite runs with the default TAG_EXPIRATION_OPTIONS: 0s, 1d, 1w, 2w, 4w (2w preselected).
    expect(await timeMachine.locator('option').allTextContents()).toEqual([
      'None: deleted tags are not kept',
      '1 day',
      '1 week',
      '2 weeks',
      '4 weeks',
    ]);
    expect(await timeMachine.inputValue()).toBe('1209600');

    await email.fill('ops@settled.example.com');
    await timeMachine.selectOption({ label: '1 week' });
    await ui.screenshot(page, 'organization-settings');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByTestId('toast').filter({ hasText: 'Saved the settings of organization settled' }).waitFor();
    const saved = await (await ui.api('alice')).get('/api/v1/organization/settled');
    expect(saved.body.email).toBe('ops@settled.example.com');
    expect(saved.body.tag_expiration_s).toBe(604800);

    await timeMachine.selectOption({ label: 'None: deleted tags are not kept' });
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(async () => (await (await ui.api('alice')).get('/api/v1/organization/settled')).body.tag_expiration_s).toBe(0);
  });

  it('creates "anyone" and "specific user" default permissions and deletes one', async () => {
    await createOrganizationThroughApi('protos');
    const page = await ui.signedInPage('alice');
    await page.goto('/organization/protos?tab=defaultpermissions');
    await page.getByTestId('default-permissions-empty').waitFor();

    await openCreateDialog(page);
    await chooseEntity(page, DELEGATE_SEARCH, 'bob', 'chosen-delegate');
    await page.locator('#default-permission-role').selectOption('read');
    await page.getByRole('button', { name: 'Create default permission' }).last().click();
    await page.getByTestId('default-permission-anyone-bob').waitFor();
    await page.getByTestId('toast').filter({ hasText: 'bob gets read on repositories created by anyone' }).waitFor();

    await openCreateDialog(page);
    await page.getByLabel('Specific user').check();
    await chooseEntity(page, CREATOR_SEARCH, 'bob', 'chosen-creator');
    await chooseEntity(page, DELEGATE_SEARCH, 'owners', 'chosen-delegate');
    await page.locator('#default-permission-role').selectOption('admin');
    await page.getByRole('button', { name: 'Create default permission' }).last().click();
    await page.getByTestId('default-permission-bob-owners').waitFor();
    await ui.screenshot(page, 'default-permissions');

    const listed = async () =>
      ((await (await ui.api('alice')).get('/api/v1/organization/protos/prototypes')).body.prototypes as PrototypeBody[])
        .map((p) => `${p.activating_user?.name ?? 'anyone'} -> ${p.delegate.kind}:${p.delegate.name} ${p.role}`)
        .sort();
    expect(await listed()).toEqual(['anyone -> user:bob read', 'bob -> team:owners admin']);

    await page.getByTestId('default-permission-anyone-bob').getByRole('button', { name: /Actions for/ }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    await page.getByTestId('default-permission-anyone-bob').waitFor({ state: 'detached' });
    expect(await listed()).toEqual(['bob -> team:owners admin']);
  });
});

const CREATOR_SEARCH = 'Search for a user or robot';
const DELEGATE_SEARCH = 'Search for a user, robot or team';

interface PrototypeBody {
  role: string;
  activating_user: { name: string } | null;
  delegate: { name: string; kind: string };
}

async function openCreateDialog(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Create default permission' }).click();
  await page.getByRole('dialog').waitFor();
}

/** Types into an entity search, picks the match named `name`, and waits until it shows as chosen. */
async function chooseEntity(page: Page, placeholder: string, name: string, chosenTestId: string): Promise<void> {
  await page.getByPlaceholder(placeholder, { exact: true }).fill(name);
  await page.getByRole('menuitem').filter({ hasText: name }).first().click();
  await expect.poll(() => page.getByTestId(chosenTestId).textContent()).toContain(name);
}
