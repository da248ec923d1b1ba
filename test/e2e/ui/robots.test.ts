import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient } from '../../helpers/api.js';
import { expectNoHorizontalOverflow, expectResponseStatus, NARROW, uiTestsRunnable, useUiSuite } from './harness.js';

/**
 * Flow 9: the robot accounts tab of an organization and of the user's own namespace — the create
 * wizard, repository permissions, credentials and token regeneration, and deletion.
 */
describe.skipIf(!uiTestsRunnable())('web UI: robot accounts', () => {
  const ui = useUiSuite();
  const ORG = 'acme';
  const REPOS = ['app', 'lib', 'web'];
  let alice: ApiClient;

  beforeAll(async () => {
    alice = await ui.api('alice');
    await expectResponseStatus(alice.post('/api/v1/organization/', { name: ORG, email: 'acme@example.com' }), 201);
    for (const repository of REPOS) {
      await expectResponseStatus(alice.post('/api/v1/repository', { namespace: ORG, repository, visibility: 'private', description: '' }), 201);
    }
    await expectResponseStatus(alice.put(`/api/v1/organization/${ORG}/team/builders`, { role: 'member' }), 200);
    await expectResponseStatus(alice.post('/api/v1/repository', { namespace: 'alice', repository: 'personal', visibility: 'private', description: '' }), 201);
  });

  async function openRobotsTab(path: string): Promise<Page> {
    const page = await ui.signedInPage('alice');
    await page.goto(path);
    await page.getByTestId('create-robot').waitFor();
    return page;
  }

  const rowOf = (page: Page, shortname: string) => page.getByTestId(`robot-row-${shortname}`);

  async function rowAction(page: Page, shortname: string, action: string) {
    await rowOf(page, shortname).getByRole('button', { name: 'Kebab toggle' }).click();
    await page.getByRole('menuitem', { name: action }).click();
  }

  async function expectToast(page: Page, text: string | RegExp) {
    await page.getByTestId('toast').filter({ hasText: text }).first().waitFor();
  }

  /** Walks the wizard to its review step; returns the dialog. */
  async function fillWizard(
    page: Page,
    robot: { name: string; description?: string; inOrganization: boolean; team?: string; repositories?: string[]; role?: string },
  ) {
    await page.getByTestId('create-robot').click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('#robot-wizard-name').fill(robot.name);
    if (robot.description) await dialog.locator('#robot-wizard-description').fill(robot.description);
    await dialog.getByRole('button', { name: 'Next' }).click();
    if (robot.inOrganization) {
      if (robot.team) await dialog.getByTestId(`team-row-${robot.team}`).getByRole('checkbox').check();
      await dialog.getByRole('button', { name: 'Next' }).click();
    }
    await dialog.getByTestId('robot-repository-picker').waitFor();
    for (const repository of robot.repositories ?? []) {
      await dialog.getByTestId(`picker-row-${repository}`).getByRole('checkbox').check();
    }
    if (robot.role) await dialog.getByLabel('Permission for the selected repositories').selectOption(robot.role);
    await dialog.getByRole('button', { name: 'Next' }).click();
    await dialog.getByTestId('review-repositories').waitFor();
    return dialog;
  }

  it('creates a robot with the wizard (team + repository permission) and refuses a duplicate name', async () => {
    const page = await openRobotsTab(`/organization/${ORG}?tab=robots`);
    const dialog = await fillWizard(page, {
      name: 'deployer',
      description: 'Deploys the app',
      inOrganization: true,
      team: 'builders',
      repositories: ['app'],
      role: 'write',
    });
    await expect(dialog.getByTestId('review-repositories').textContent()).resolves.toBe('app (write)');
    await ui.screenshot(page, 'robots-create-wizard');
    await dialog.getByRole('button', { name: 'Create robot account' }).click();
    await expectToast(page, `Successfully created robot account with robot name: ${ORG}+deployer`);
    await rowOf(page, 'deployer').waitFor();

    const robot = await alice.get(`/api/v1/organization/${ORG}/robots/deployer`);
    expect(robot.status, robot.describe()).toBe(200);
    expect(robot.body.description).toBe('Deploys the app');
    const permission = await alice.get(`/api/v1/repository/${ORG}/app/permissions/user/${ORG}+deployer`);
    expect(permission.status, permission.describe()).toBe(200);
    expect(permission.body.role).toBe('write');
    const members = await alice.get(`/api/v1/organization/${ORG}/team/builders/members`);
    expect(members.body.members.map((member: { name: string }) => member.name)).toContain(`${ORG}+deployer`);
    await expect(rowOf(page, 'deployer').getByTestId('robot-repo-count').textContent()).resolves.toBe('1');

    // The expandable row shows the description and details.
    await rowOf(page, 'deployer').getByRole('button', { name: 'Details' }).click();
    await expect(page.getByTestId('robot-details').textContent()).resolves.toContain('Deploys the app');

    ui.allowConsoleError(/status of 400/);
    const again = await fillWizard(page, { name: 'deployer', inOrganization: true });
    await again.getByRole('button', { name: 'Create robot account' }).click();
    const error = again.getByTestId('robot-create-error');
    await error.waitFor();
    await expect(error.textContent()).resolves.toMatch(/Error creating robot account.*already exists/);
    await again.getByRole('button', { name: 'Cancel' }).click();
    await ui.screenshot(page, 'robots-tab');
  });

  it('sets one permission on several repositories at once', async () => {
    await expectResponseStatus(alice.put(`/api/v1/organization/${ORG}/robots/puller`, { description: 'CI pulls' }), 201);
    const page = await openRobotsTab(`/organization/${ORG}?tab=robots`);
    await rowAction(page, 'puller', 'Set repository permissions');
    const dialog = page.getByRole('dialog');
    for (const repository of REPOS) await dialog.getByTestId(`picker-row-${repository}`).getByRole('checkbox').check();
    await dialog.getByLabel('Permission for the selected repositories').selectOption('admin');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expectToast(page, 'Successfully updated repository permission');
    for (const repository of REPOS) {
      const permission = await alice.get(`/api/v1/repository/${ORG}/${repository}/permissions/user/${ORG}+puller`);
      expect(permission.status, permission.describe()).toBe(200);
      expect(permission.body.role).toBe('admin');
    }
    await expect.poll(() => rowOf(page, 'puller').getByTestId('robot-repo-count').textContent()).toBe('3');

    // None removes the permission from the checked repositories only.
    await rowAction(page, 'puller', 'Set repository permissions');
    await dialog.getByTestId('picker-row-lib').getByRole('checkbox').check();
    await dialog.getByLabel('Permission for the selected repositories').selectOption('none');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => rowOf(page, 'puller').getByTestId('robot-repo-count').textContent()).toBe('2');
    const removed = await alice.get(`/api/v1/repository/${ORG}/lib/permissions/user/${ORG}+puller`);
    expect(removed.status, removed.describe()).toBe(404);
  });

  it('shows the credentials and regenerates the token', async () => {
    const page = await openRobotsTab(`/organization/${ORG}?tab=robots`);
    await rowAction(page, 'deployer', 'View credentials');
    const dialog = page.getByRole('dialog');
    const tokenInput = dialog.locator('#robot-token');
    await tokenInput.waitFor();
    const before = (await alice.get(`/api/v1/organization/${ORG}/robots/deployer`)).body.token as string;
    expect(before.length).toBeGreaterThan(20);
    await expect(tokenInput.inputValue()).resolves.toBe(before);
    await expect(dialog.locator('#robot-username').inputValue()).resolves.toBe(`${ORG}+deployer`);
    await ui.screenshot(page, 'robots-credentials');

    await dialog.getByRole('tab', { name: 'Docker login' }).click();
    const dockerLogin = await dialog.locator('#robot-docker-login').inputValue();
    expect(dockerLogin).toMatch(/^docker login -u acme\+deployer -p /);
    expect(dockerLogin).toContain(before);
    await dialog.getByRole('tab', { name: 'Podman login' }).click();
    await expect(dialog.locator('#robot-podman-login').inputValue()).resolves.toContain(before);
    await dialog.getByRole('tab', { name: 'Kubernetes secret' }).click();
    const secret = (await dialog.getByTestId('robot-kubernetes-secret').textContent()) ?? '';
    expect(secret).toContain('type: kubernetes.io/dockerconfigjson');
    const encoded = /\.dockerconfigjson: (\S+)/.exec(secret)?.[1] ?? '';
    expect(Buffer.from(encoded, 'base64').toString('utf8')).toContain(Buffer.from(`${ORG}+deployer:${before}`).toString('base64'));

    await dialog.getByRole('tab', { name: 'Robot account' }).click();
    await dialog.getByTestId('regenerate-token').click();
    await dialog.getByTestId('confirm-regenerate').click();
    await expectToast(page, /Successfully regenerated/);
    await expect.poll(() => dialog.locator('#robot-token').inputValue()).not.toBe(before);
    const shown = await dialog.locator('#robot-token').inputValue();
    const after = (await alice.get(`/api/v1/organization/${ORG}/robots/deployer`)).body.token as string;
    expect(shown).toBe(after);

    const authenticate = (token: string) =>
      fetch(`${ui.registry.url}/v2/auth?service=${ui.registry.host}&scope=repository:${ORG}/app:pull`, {
        headers: { authorization: `Basic ${Buffer.from(`${ORG}+deployer:${token}`).toString('base64')}` },
      }).then((response) => response.status);
    await expect(authenticate(before), 'the old token').resolves.toBe(401);
    await expect(authenticate(after), 'the new token').resolves.toBe(200);
  });

  it('deletes a robot from its menu and several with the bulk delete', async () => {
    for (const name of ['temp1', 'temp2']) {
      await expectResponseStatus(alice.put(`/api/v1/organization/${ORG}/robots/${name}`, {}), 201);
    }
    const page = await openRobotsTab(`/organization/${ORG}?tab=robots`);
    await rowAction(page, 'deployer', 'Delete');
    let dialog = page.getByRole('dialog');
    await dialog.locator('#confirm-delete-input').fill('confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expectToast(page, 'Successfully deleted robot account');
    await rowOf(page, 'deployer').waitFor({ state: 'detached' });
    await expectResponseStatus(alice.get(`/api/v1/organization/${ORG}/robots/deployer`), 404);

    await page.getByLabel('Search robot accounts').fill('temp');
    await expect.poll(() => page.getByTestId('robots-table').locator('tbody > tr[data-testid]').count()).toBe(2);
    for (const name of ['temp1', 'temp2']) await rowOf(page, name).getByRole('checkbox').check();
    await page.getByTestId('delete-selected-robots').click();
    dialog = page.getByRole('dialog');
    await expect(dialog.getByTestId('delete-list').textContent()).resolves.toBe(`${ORG}+temp1${ORG}+temp2`);
    await dialog.locator('#confirm-delete-input').fill('confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await expectToast(page, 'Successfully deleted 2 robot accounts');
    for (const name of ['temp1', 'temp2']) await expectResponseStatus(alice.get(`/api/v1/organization/${ORG}/robots/${name}`), 404);
    await expectResponseStatus(alice.get(`/api/v1/organization/${ORG}/robots/puller`), 200);
  });

  it("creates a robot in the user's own namespace", async () => {
    const page = await openRobotsTab('/user/alice?tab=robots');
    const dialog = await fillWizard(page, { name: 'mybot', inOrganization: false, repositories: ['personal'] });
    expect(await dialog.getByText('Add to team (optional)').count(), 'no team step for a user').toBe(0);
    await dialog.getByRole('button', { name: 'Create robot account' }).click();
    await expectToast(page, 'Successfully created robot account with robot name: alice+mybot');
    await expectResponseStatus(alice.get('/api/v1/user/robots/mybot'), 200);
    const permission = await alice.get('/api/v1/repository/alice/personal/permissions/user/alice+mybot');
    expect(permission.body.role, permission.describe()).toBe('read');

    await page.setViewportSize(NARROW);
    const narrow = page;
    await narrow.reload();
    await rowOf(narrow, 'mybot').waitFor();
    await expectNoHorizontalOverflow(narrow);
    await ui.screenshot(narrow, 'robots-tab-narrow');
    await rowAction(narrow, 'mybot', 'View credentials');
    await narrow.getByRole('dialog').locator('#robot-token').waitFor();
    await expectNoHorizontalOverflow(narrow);
    await ui.screenshot(narrow, 'robots-credentials-narrow');
  });
});
