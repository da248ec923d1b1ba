import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotificationWorker } from '../../../src/workers/notifications.js';
import { expectNoHorizontalOverflow, NARROW, uiTestsRunnable, useUiSuite } from './harness.js';

/** A webhook receiver on 127.0.0.1 that records the JSON bodies POSTed to it. */
class WebhookReceiver {
  readonly posts: { path: string; body: Record<string, unknown> }[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.posts.push({ path: req.url ?? '/', body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') });
      res.end('ok');
    });
  });

  start(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function row(page: Page, fullName: string) {
  return page.locator(`tr[data-repository="${fullName}"]`);
}

async function moreAction(page: Page, action: string): Promise<void> {
  await page.getByTestId('repositories-actions').click();
  await page.getByRole('menuitem', { name: action }).click();
}

/** Flow 3 (the repositories list: create, visibility, delete) and flow 7 (a repository's settings). */
describe.skipIf(!uiTestsRunnable())('web UI: repositories and repository settings', () => {
  // The webhook receiver listens on 127.0.0.1, which the outbound URL policy refuses by default.
  const ui = useUiSuite({ WEBHOOK_HOSTNAME_BLACKLIST: [], SSRF_ALLOWED_HOSTS: ['127.0.0.1'] });
  const receiver = new WebhookReceiver();

  beforeAll(async () => {
    await receiver.start();
    const alice = await ui.api('alice');
    const org = await alice.post('/api/v1/organization/', { name: 'acme', email: 'acme@example.com' });
    expect(org.status, org.describe()).toBe(201);
    await ui.push('alice', 'alice/pushed:latest');
  });

  afterAll(() => receiver.close());

  async function repository(fullName: string) {
    return (await ui.api('alice')).get(`/api/v1/repository/${fullName}`);
  }

  async function namespaceRepositoryNames(namespace: string): Promise<string[]> {
    const res = await (await ui.api('alice')).get(`/api/v1/repository?namespace=${namespace}`);
    expect(res.status, res.describe()).toBe(200);
    return (res.body.repositories as { name: string }[]).map((r) => r.name);
  }

  async function createRepository(page: Page, namespace: string, name: string, visibility: 'public' | 'private') {
    await page.getByTestId('create-repository').click();
    await page.locator('#new-repository-namespace').selectOption(namespace);
    await page.locator('#new-repository-name').fill(name);
    await page.locator(`#new-repository-${visibility}`).check();
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await row(page, `${namespace}/${name}`).waitFor();
  }

  it('lists repositories and creates them in an organization and in the user namespace', async () => {
    const page = await ui.signedInPage('alice');
    await page.goto('/repository');
    await row(page, 'alice/pushed').waitFor();
    await expect(row(page, 'alice/pushed').getByRole('link', { name: 'alice/pushed' }).getAttribute('href')).resolves.toBe('/repository/alice/pushed');
    await expect(row(page, 'alice/pushed').getByTestId('repository-visibility').textContent()).resolves.toBe('private');

    await createRepository(page, 'acme', 'web', 'public');
    await createRepository(page, 'alice', 'tools', 'private');
    const web = await repository('acme/web');
    expect(web.status, web.describe()).toBe(200);
    expect(web.body.is_public).toBe(true);
    const tools = await repository('alice/tools');
    expect(tools.status, tools.describe()).toBe(200);
    expect(tools.body.is_public).toBe(false);
    await ui.screenshot(page, 'repositories-list');
  });

  it('refuses reserved words before sending, and shows the server refusing a name', async () => {
    const page = await ui.signedInPage('alice');
    await page.goto('/repository');
    await row(page, 'alice/tools').waitFor();
    // Reserved words are refused before anything is sent, as a name and as a segment of one.
    await page.getByTestId('create-repository').click();
    await page.locator('#new-repository-namespace').selectOption('alice');
    for (const name of ['build', 'nested/tag']) {
      await page.locator('#new-repository-name').fill(name);
      await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
      await expect(page.getByTestId('repository-name-error').textContent()).resolves.toMatch(/reserved word/);
    }
    expect(await namespaceRepositoryNames('alice')).toEqual(['pushed', 'tools']);

    // The server's refusal (a name already taken) is shown in the form.
    ui.allowConsoleError(/status of 400.*\/api\/v1\/repository\)$/);
    await page.locator('#new-repository-name').fill('tools');
    await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
    await expect(page.getByTestId('create-repository-error').textContent()).resolves.toMatch(/already exists/i);
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  });

  it('filters, and makes the selected repositories public or private', async () => {
    const page = await ui.signedInPage('alice');
    await page.goto('/repository');
    await row(page, 'alice/tools').waitFor();
    // The search filter.
    await page.getByLabel('Search repositories').fill('too');
    await expect.poll(() => page.locator('tr[data-repository]').count()).toBe(1);
    await page.getByLabel('Search repositories').fill('');
    await expect.poll(() => page.locator('tr[data-repository]').count()).toBe(3);

    // Bulk visibility.
    await row(page, 'alice/tools').getByRole('checkbox').check();
    await row(page, 'alice/pushed').getByRole('checkbox').check();
    await moreAction(page, 'Make public');
    await expect.poll(async () => (await repository('alice/tools')).body.is_public).toBe(true);
    await expect.poll(async () => (await repository('alice/pushed')).body.is_public).toBe(true);
    await row(page, 'alice/pushed').getByRole('checkbox').uncheck();
    await moreAction(page, 'Make private');
    await expect.poll(async () => (await repository('alice/tools')).body.is_public).toBe(false);
    expect((await repository('alice/pushed')).body.is_public, 'an unselected repository is left alone').toBe(true);
    await expect.poll(() => row(page, 'alice/tools').getByTestId('repository-visibility').textContent()).toBe('private');

    // The organization's Repositories tab shows only its repositories.
    await page.goto('/organization/acme');
    await row(page, 'acme/web').waitFor();
    await expect(page.locator('tr[data-repository]').count()).resolves.toBe(1);
  });

  it('deletes the selected repositories, and fits a narrow screen', async () => {
    const page = await ui.signedInPage('alice');
    await page.goto('/repository');
    await row(page, 'acme/web').getByRole('checkbox').check();
    await row(page, 'alice/tools').getByRole('checkbox').check();
    await moreAction(page, 'Delete');
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByTestId('delete-list').locator('li').allTextContents().then((names) => names.sort())).resolves.toEqual([
      'acme/web',
      'alice/tools',
    ]);
    await dialog.getByLabel('Type confirm').fill('confirm');
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await row(page, 'acme/web').waitFor({ state: 'detached' });
    expect(await namespaceRepositoryNames('alice')).toEqual(['pushed']);
    expect(await namespaceRepositoryNames('acme')).toEqual([]);
    await expect(page.locator('tr[data-repository]').count()).resolves.toBe(1);

    const narrow = await ui.signedInPage('alice', NARROW);
    await narrow.goto('/repository');
    await row(narrow, 'alice/pushed').waitFor();
    await expectNoHorizontalOverflow(narrow);
    await ui.screenshot(narrow, 'repositories-list-narrow');
  });

  const base = '/api/v1/repository/alice/settings-demo';

  it('settings: grants a user a permission and changes it', async () => {
    await ui.push('alice', 'alice/settings-demo:latest');
    const alice = await ui.api('alice');
    const page = await ui.signedInPage('alice');
    await page.goto('/repository/alice/settings-demo?tab=settings');

    // User and robot permissions: grant bob write, then change it to admin.
    await page.getByTestId('settings-permissions').waitFor();
    await page.getByLabel('Search for a user, robot or team').fill('bob');
    await page.getByRole('menuitem', { name: /^bob/ }).click();
    await page.getByLabel('Role to give').selectOption('write');
    await page.getByRole('button', { name: 'Add permission' }).click();
    await expect.poll(async () => (await alice.get(`${base}/permissions/user/bob`)).body.role).toBe('write');
    await page.getByLabel('Permission of bob', { exact: true }).selectOption('admin');
    await expect.poll(async () => (await alice.get(`${base}/permissions/user/bob`)).body.role).toBe('admin');
    await ui.screenshot(page, 'repository-settings');

    const narrow = await ui.signedInPage('alice', NARROW);
    await narrow.goto('/repository/alice/settings-demo?tab=settings&section=permissions');
    await narrow.getByLabel('Permission of bob', { exact: true }).waitFor();
    await expectNoHorizontalOverflow(narrow);
    await ui.screenshot(narrow, 'repository-settings-narrow');
  });

  it('settings: creates a webhook notification, tests it against a receiver, and deletes it', async () => {
    const alice = await ui.api('alice');
    const page = await ui.signedInPage('alice');
    await page.goto('/repository/alice/settings-demo?tab=settings&section=notifications');
    await page.getByRole('button', { name: 'Create notification' }).click();
    await page.locator('#notification-event').selectOption('repo_push');
    await page.locator('#notification-method').selectOption('webhook');
    await page.locator('#notification-url').fill(receiver.url('/hook'));
    await page.locator('#notification-title').fill('CI hook');
    await page.getByRole('dialog').getByRole('button', { name: 'Submit' }).click();
    await page.locator('tr[data-notification]').waitFor();
    const listed = await alice.get(`${base}/notification/`);
    expect(listed.body.notifications, listed.describe()).toHaveLength(1);
    expect(listed.body.notifications[0]).toMatchObject({ event: 'repo_push', method: 'webhook', title: 'CI hook', config: { url: receiver.url('/hook') } });
    await ui.screenshot(page, 'repository-settings-notifications');

    await page.locator('tr[data-notification]').getByRole('button', { name: 'Kebab toggle' }).click();
    await page.getByRole('menuitem', { name: 'Test notification' }).click();
    await page.getByTestId('toast').filter({ hasText: 'Queued a test' }).waitFor();
    const worker = createNotificationWorker(ui.registry.ctx);
    await expect
      .poll(
        async () => {
          await worker.drain();
          return receiver.posts.filter((post) => post.path === '/hook').length;
        },
        { timeout: 10_000 },
      )
      .toBe(1);
    expect(receiver.posts[0]?.body['repository']).toBe('alice/settings-demo');
    expect(receiver.posts[0]?.body['updated_tags']).toEqual(['latest', 'foo']);

    await page.locator('tr[data-notification]').getByRole('button', { name: 'Kebab toggle' }).click();
    await page.getByRole('menuitem', { name: 'Delete notification' }).click();
    await page.locator('tr[data-notification]').waitFor({ state: 'detached' });
    expect((await alice.get(`${base}/notification/`)).body.notifications).toEqual([]);
  });

  it('settings: changes visibility and state, and deletes the repository', async () => {
    const alice = await ui.api('alice');
    const page = await ui.signedInPage('alice');
    await page.goto('/repository/alice/settings-demo?tab=settings&section=visibility');
    await page.getByRole('button', { name: 'Make public' }).click();
    await page.getByRole('button', { name: 'Make private' }).waitFor();
    expect((await alice.get(base)).body.is_public).toBe(true);
    await page.getByRole('tab', { name: 'Repository state' }).click();
    const state = page.locator('#repository-state');
    await expect(state.locator('option').allTextContents(), 'no Mirror without FEATURE_REPO_MIRROR').resolves.toEqual(['Normal', 'Read only']);
    await state.selectOption('READ_ONLY');
    await expect.poll(async () => (await alice.get(base)).body.state).toBe('READ_ONLY');
    await state.selectOption('NORMAL');
    await expect.poll(async () => (await alice.get(base)).body.state).toBe('NORMAL');

    // Delete repository, then back on the list.
    await page.getByRole('tab', { name: 'Delete repository' }).click();
    await page.getByRole('button', { name: 'Delete repository' }).click();
    await page.getByRole('dialog').getByLabel('Type confirm').fill('confirm');
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/\/repository$/);
    expect(await namespaceRepositoryNames('alice')).not.toContain('settings-demo');
    expect((await alice.get(base)).status).toBe(404);
  });
});
