import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { findMirrorConfig, openMirrorCredentials } from '../../../src/model/repo-mirror.js';
import { getRepository } from '../../../src/model/repositories.js';
import { RepoMirrorWorker } from '../../../src/workers/repo-mirror.js';
import type { ApiClient } from '../../helpers/api.js';
import { requireClient, runOk } from '../../helpers/clients.js';
import { distributionAvailable, startDistribution } from '../../helpers/distribution.js';
import { createImageLayout } from '../../helpers/oci-layout.js';
import { expectNoHorizontalOverflow, expectResponseStatus, NARROW, uiTestsRunnable, useUiSuite } from './harness.js';

/**
 * The Mirroring tab of a repository: switching the repository to the Mirror state in Settings, the
 * empty form, the API's refusal shown in the form, a saved configuration (robot made with the
 * robot wizard) that survives a reload without its password, enabling and disabling, Sync now
 * and Cancel; a reader never sees the tab. Then a real sync from CNCF Distribution, run by the
 * repomirror worker, shows Success.
 */
describe.skipIf(!uiTestsRunnable())('web UI: repository mirroring', () => {
  // The external registry of the real sync listens on 127.0.0.1, which the SSRF policy refuses unless allowed.
  const ui = useUiSuite({ FEATURE_REPO_MIRROR: true, SSRF_ALLOWED_HOSTS: ['127.0.0.1'] });
  const ORG = 'mirrors';
  const REPO = 'upstream-app';
  const REPO_PAGE = `/repository/${ORG}/${REPO}`;
  const MIRROR_API = `/api/v1/repository/${ORG}/${REPO}/mirror`;
  const SECRET = 'registry-s3cret-password';
  let alice: ApiClient;

  beforeAll(async () => {
    alice = await ui.api('alice');
    await expectResponseStatus(alice.post('/api/v1/organization/', { name: ORG, email: 'mirrors@example.com' }), 201);
    await expectResponseStatus(alice.post('/api/v1/repository', { namespace: ORG, repository: REPO, visibility: 'private', description: '' }), 201);
    await expectResponseStatus(alice.put(`/api/v1/organization/${ORG}/robots/existing`, { description: 'Already there' }), 201);
    await expectResponseStatus(alice.put(`/api/v1/repository/${ORG}/${REPO}/permissions/user/bob`, { role: 'read' }), 200);
  });

  async function expectToast(page: Page, text: string | RegExp) {
    await page.getByTestId('toast').filter({ hasText: text }).first().waitFor();
  }

  async function expectStatusLabel(page: Page, text: string) {
    await page.getByTestId('mirror-status').filter({ hasText: text }).waitFor();
  }

  /** The credentials as stored (sealed) for the worker: the API never shows the password. */
  async function storedCredentials() {
    const { db, secrets } = ui.registry.ctx;
    const config = await findMirrorConfig(db, (await getRepository(db, { namespace: ORG, name: REPO })).id);
    if (!config) throw new Error('no mirror configuration stored');
    return openMirrorCredentials(secrets, config);
  }

  async function mirror() {
    const answer = await alice.get(MIRROR_API);
    expect(answer.status, answer.describe()).toBe(200);
    return answer;
  }

  it('sets a repository up as a mirror, keeps its settings, and runs Sync now and Cancel', async () => {
    const page = await ui.signedInPage('alice');
    await page.goto(`${REPO_PAGE}?tab=settings&section=state`);
    await expect(page.getByRole('tab', { name: 'Mirroring' }).count()).resolves.toBe(0);
    await page.locator('#repository-state').selectOption('MIRROR');
    await expectToast(page, 'The repository state is now Mirror');

    // No configuration yet: the API answers 404 and the tab shows an empty form with defaults.
    ui.allowConsoleError(/status of 404/);
    await page.getByRole('tab', { name: 'Mirroring' }).click();
    await page.getByTestId('mirror-not-configured').waitFor();
    await expect(page.locator('#mirror-external-reference').inputValue()).resolves.toBe('');
    await expect(page.locator('#mirror-tags').inputValue()).resolves.toBe('');
    await expect(page.locator('#mirror-interval').inputValue()).resolves.toBe('24');
    await expect(page.locator('#mirror-interval-unit').inputValue()).resolves.toBe('hours');
    await expect(page.locator('#mirror-verify-tls').isChecked()).resolves.toBe(true);
    await expect(page.locator('#mirror-enabled').isChecked()).resolves.toBe(true);
    await expect(page.locator('#mirror-start-date').inputValue()).resolves.toMatch(/^\d{4}-\d{2}-\d{2}$/);
    await ui.screenshot(page, 'mirroring-empty');
    await page.getByRole('button', { name: 'Tag pattern syntax' }).click();
    await page.getByRole('dialog').filter({ hasText: '[!seq]' }).waitFor();
    await ui.screenshot(page, 'mirroring-tag-help');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });

    // The form's own checks come first, beside each field.
    await page.getByTestId('mirror-save').click();
    await page.getByText('Enter the registry location').waitFor();
    await page.getByText('Enter at least one tag pattern').waitFor();
    await page.getByText('Choose the robot account').waitFor();

    // A robot made on the spot with the robot wizard becomes the chosen one.
    await page.locator('#mirror-robot').selectOption({ label: 'Create robot account…' });
    const wizard = page.getByRole('dialog');
    await wizard.locator('#robot-wizard-name').fill('mirrorbot');
    await wizard.getByRole('button', { name: 'Next' }).click();
    await wizard.getByRole('button', { name: 'Next' }).click();
    await wizard.getByTestId('robot-repository-picker').waitFor();
    await wizard.getByRole('button', { name: 'Next' }).click();
    await wizard.getByRole('button', { name: 'Create robot account' }).click();
    await expectToast(page, `Successfully created robot account with robot name: ${ORG}+mirrorbot`);
    await expect(page.locator('#mirror-robot').inputValue()).resolves.toBe(`${ORG}+mirrorbot`);
    await expect(page.locator('#mirror-robot option').allTextContents()).resolves.toContain(`${ORG}+existing`);

    // A location the API refuses: its message is shown, nothing is stored.
    ui.allowConsoleError(/status of 400/);
    await page.locator('#mirror-external-reference').fill('https://registry.example.com/upstream/app:latest');
    await page.locator('#mirror-tags').fill('latest, v1.*');
    await page.getByTestId('mirror-save').click();
    const refusal = page.getByTestId('mirror-save-error');
    await refusal.waitFor();
    await expect(refusal.textContent()).resolves.toMatch(/Could not save the mirror settings.*Invalid external reference.*without a scheme/);
    await expectResponseStatus(alice.get(MIRROR_API), 404);

    // A proper configuration.
    await page.locator('#mirror-external-reference').fill('registry.example.com/upstream/app');
    await page.locator('#mirror-interval').fill('6');
    await page.locator('#mirror-username').fill('puller');
    await page.locator('#mirror-password').fill(SECRET);
    await page.locator('#mirror-verify-tls').uncheck();
    await page.locator('#mirror-https-proxy').fill('http://proxy.example.com:3128');
    await page.locator('#mirror-no-proxy').fill('localhost,.internal');
    const startDay = await page.locator('#mirror-start-date').inputValue();
    const startTime = await page.getByLabel('Start time').inputValue();
    await page.getByTestId('mirror-save').click();
    await expectToast(page, 'Mirroring is set up');
    await expectStatusLabel(page, 'Never run');
    await expect(page.getByTestId('mirror-save-error').count()).resolves.toBe(0);

    const stored = await mirror();
    expect(stored.body).toMatchObject({
      is_enabled: true,
      external_reference: 'registry.example.com/upstream/app',
      sync_interval: 6 * 3600,
      sync_status: 'NEVER_RUN',
      robot_username: `${ORG}+mirrorbot`,
      external_registry_username: 'puller',
      root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['latest', 'v1.*'] },
      external_registry_config: {
        verify_tls: false,
        proxy: { https_proxy: 'http://proxy.example.com:3128', no_proxy: 'localhost,.internal' },
      },
    });
    expect(JSON.stringify(stored.body)).not.toContain(SECRET);
    await expect(storedCredentials()).resolves.toEqual({ username: 'puller', password: SECRET });
    await ui.screenshot(page, 'mirroring-configured');

    // After a reload every value is back, except the password, which is never sent to the browser.
    await page.reload();
    await expectStatusLabel(page, 'Never run');
    await expect(page.locator('#mirror-external-reference').inputValue()).resolves.toBe('registry.example.com/upstream/app');
    await expect(page.locator('#mirror-tags').inputValue()).resolves.toBe('latest, v1.*');
    await expect(page.locator('#mirror-interval').inputValue()).resolves.toBe('6');
    await expect(page.locator('#mirror-interval-unit').inputValue()).resolves.toBe('hours');
    await expect(page.locator('#mirror-start-date').inputValue()).resolves.toBe(startDay);
    await expect(page.getByLabel('Start time').inputValue()).resolves.toBe(startTime);
    await expect(page.locator('#mirror-robot').inputValue()).resolves.toBe(`${ORG}+mirrorbot`);
    await expect(page.locator('#mirror-username').inputValue()).resolves.toBe('puller');
    await expect(page.locator('#mirror-password').inputValue()).resolves.toBe('');
    await expect(page.locator('#mirror-verify-tls').isChecked()).resolves.toBe(false);
    await expect(page.locator('#mirror-https-proxy').inputValue()).resolves.toBe('http://proxy.example.com:3128');
    await expect(page.content()).resolves.not.toContain(SECRET);
    await page.getByTestId('mirror-remove-credentials').waitFor();

    // Disabling and enabling again. Meanwhile the next sync moved (as the worker moves it after a
    // sync): a save that did not touch the start date leaves it where it is.
    const movedStart = '2030-01-02T03:04:05Z';
    await expectResponseStatus(alice.put(MIRROR_API, { sync_start_date: movedStart }), 201);
    await page.locator('#mirror-enabled').uncheck({ force: true });
    await page.getByTestId('mirror-save').click();
    await expectToast(page, 'Saved the mirror settings');
    await page.getByTestId('mirror-disabled').waitFor();
    expect((await mirror()).body).toMatchObject({ is_enabled: false, sync_start_date: movedStart });
    // Saving without typing the password again keeps the stored one.
    await expect(storedCredentials()).resolves.toEqual({ username: 'puller', password: SECRET });
    await page.locator('#mirror-enabled').check({ force: true });
    await page.getByTestId('mirror-save').click();
    await page.getByTestId('mirror-disabled').waitFor({ state: 'detached' });
    expect((await mirror()).body.is_enabled).toBe(true);

    // Sync now, then Cancel.
    await expect(page.getByTestId('mirror-cancel').isDisabled()).resolves.toBe(true);
    await page.getByTestId('mirror-sync-now').click();
    await expectStatusLabel(page, 'Sync now');
    expect((await mirror()).body.sync_status).toBe('SYNC_NOW');
    await expect(page.getByTestId('mirror-sync-now').isDisabled()).resolves.toBe(true);
    await page.getByTestId('mirror-cancel').click();
    await expectStatusLabel(page, 'Cancelled');
    expect((await mirror()).body.sync_status).toBe('CANCEL');
    await expect(page.getByTestId('mirror-cancel').isDisabled()).resolves.toBe(true);
    await expect(page.getByTestId('mirror-logs-link').getAttribute('href')).resolves.toBe(`${REPO_PAGE}?tab=logs`);
    await ui.screenshot(page, 'mirroring-tab');

    // The usage logs, one click away, record what was done (as Quay does, each a repo_mirror_config_changed entry).
    await page.getByTestId('mirror-logs-link').click();
    for (const text of ['Asked for an immediate sync of', 'Cancelled the sync of', 'Disabled mirroring of', 'Enabled mirroring of']) {
      await page.getByTestId('log-row').filter({ hasText: `${text} ${ORG}/${REPO}` }).first().waitFor();
    }
    await page.getByRole('tab', { name: 'Mirroring' }).click();

    // Removing the stored credentials.
    await page.getByTestId('mirror-remove-credentials').click();
    await expectToast(page, 'Removed the registry credentials');
    await page.getByTestId('mirror-remove-credentials').waitFor({ state: 'detached' });
    expect((await mirror()).body.external_registry_username ?? null).toBeNull();
    await expect(storedCredentials()).resolves.toBeUndefined();
  });

  it('fits a phone-sized screen', async () => {
    const page = await ui.signedInPage('alice', NARROW);
    await page.goto(`${REPO_PAGE}?tab=mirroring`);
    await page.getByTestId('mirror-status-panel').waitFor();
    await page.getByTestId('mirror-form').waitFor();
    await expectNoHorizontalOverflow(page);
    await ui.screenshot(page, 'mirroring-tab-narrow');
  });

  it('shows no Mirroring tab to a reader', async () => {
    const page = await ui.signedInPage('bob');
    await page.goto(`${REPO_PAGE}?tab=mirroring`);
    await page.getByRole('tab', { name: 'Tags' }).waitFor();
    await expect(page.getByRole('tab', { name: 'Mirroring' }).count()).resolves.toBe(0);
    await expect(page.getByTestId('mirror-form').count()).resolves.toBe(0);
    await expectResponseStatus((await ui.api('bob')).get(MIRROR_API), 403);
  });

  it.skipIf(!distributionAvailable())('shows Success after a real sync from CNCF Distribution', async () => {
    const skopeo = requireClient('skopeo');
    if (!skopeo) throw new Error('skopeo is required');
    const upstream = await startDistribution({ auth: { username: 'puller', password: SECRET } });
    try {
      const image = await createImageLayout(path.join(ui.work, 'upstream-layout'), { seed: 'mirrored upstream', tag: 'v1' });
      for (const tag of ['v1', 'v2', 'skipped']) {
        await runOk(skopeo, ['copy', ...upstream.skopeoDestFlags(), image.ref, `docker://${upstream.host}/team/app:${tag}`]);
      }
      const synced = 'synced';
      const syncedApi = `/api/v1/repository/${ORG}/${synced}`;
      await expectResponseStatus(alice.post('/api/v1/repository', { namespace: ORG, repository: synced, visibility: 'private', description: '' }), 201);
      await expectResponseStatus(alice.put(`${syncedApi}/changestate`, { state: 'MIRROR' }), 200);
      // The first scheduled sync is far away: only Sync now makes the worker run it.
      await expectResponseStatus(
        alice.post(`${syncedApi}/mirror`, {
          external_reference: `${upstream.host}/team/app`,
          root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['v*'] },
          sync_interval: 86400,
          sync_start_date: '2030-01-01T00:00:00Z',
          robot_username: `${ORG}+existing`,
          external_registry_username: 'puller',
          external_registry_password: SECRET,
          external_registry_config: { verify_tls: false },
        }),
        201,
      );

      const page = await ui.signedInPage('alice');
      await page.goto(`/repository/${ORG}/${synced}?tab=mirroring`);
      await expectStatusLabel(page, 'Never run');
      await page.getByTestId('mirror-sync-now').click();
      await expectStatusLabel(page, 'Sync now');

      const outcomes = await new RepoMirrorWorker(ui.registry.ctx).runOnce();
      expect([...outcomes.values()]).toEqual(['SUCCESS']);
      // The tab polls while a sync is asked for, and so notices the end by itself.
      await expectStatusLabel(page, 'Success');
      await expect(page.getByTestId('mirror-last-finished').textContent()).resolves.not.toBe('Never');
      await expect(page.getByTestId('mirror-last-message').textContent()).resolves.toMatch(/2 tags/);
      await expect(page.getByTestId('mirror-sync-now').isDisabled()).resolves.toBe(false);
      await ui.screenshot(page, 'mirroring-synced');

      const tags = await alice.get(`${syncedApi}/tag/?onlyActiveTags=true`);
      expect(tags.status, tags.describe()).toBe(200);
      expect(tags.body.tags.map((tag: { name: string }) => tag.name).sort()).toEqual(['v1', 'v2']);
    } finally {
      await upstream.stop();
    }
  });
});
