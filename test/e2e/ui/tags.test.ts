import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireClient, runOk } from '../../helpers/clients.js';
import { createMultiArchLayout } from '../../helpers/oci-layout.js';
import { expectNoHorizontalOverflow, NARROW, PASSWORD, uiTestsRunnable, useUiSuite } from './harness.js';

/**
 * Flow 4 (the repository's tags: filter, select, delete, expiration, labels, pull commands,
 * platforms of a manifest list) and flow 5 (tag details with its Security Report and Packages tabs).
 */
describe.skipIf(!uiTestsRunnable())('web UI: tags and tag details', () => {
  const ui = useUiSuite();
  const REPO = '/api/v1/repository/alice/app';
  let appDigest: string;
  let otherDigest: string;

  beforeAll(async () => {
    appDigest = await ui.push('alice', 'alice/app:v1', 'app');
    await ui.push('alice', 'alice/app:v2', 'app');
    otherDigest = await ui.push('alice', 'alice/app:other', 'other');
    await ui.push('alice', 'alice/app:doomed', 'doomed');
    const multi = await createMultiArchLayout(path.join(ui.work, 'multi'), { seed: 'ui-tags-multi', tag: 'multi' });
    await runOk(requireClient('skopeo')!, [
      'copy',
      '--all',
      '--preserve-digests',
      '--dest-tls-verify=false',
      '--dest-creds',
      `alice:${PASSWORD}`,
      multi.ref,
      `docker://${ui.registry.host}/alice/app:multi`,
    ]);
  }, 60_000);

  async function liveTag(name: string) {
    const response = await (await ui.api('alice')).get(`${REPO}/tag/?specificTag=${name}&onlyActiveTags=true`);
    expect(response.status, response.describe()).toBe(200);
    return response.body.tags[0] as { name: string; end_ts?: number; expiration?: string; manifest_digest: string; size: number } | undefined;
  }

  async function openTags(page: Page) {
    await page.goto('/repository/alice/app');
    await page.getByTestId('tag-row-v1').waitFor();
  }

  async function lastToast(page: Page) {
    return (await page.getByTestId('toast').last().textContent()) ?? '';
  }

  /** Picks a date 30 days ahead at 14:30 local time in the open expiration modal; returns its epoch seconds. */
  async function pickExpiration(page: Page): Promise<number> {
    const modal = page.getByTestId('change-expiration-modal');
    await modal.waitFor();
    const day = await page.evaluate(() => {
      const d = new Date(Date.now() + 30 * 86_400_000);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    });
    await modal.getByLabel('Expiration date').fill(day);
    await modal.getByLabel('Expiration time').fill('14:30');
    const expected = await page.evaluate((text) => {
      const [y, m, d] = text.split('-').map(Number) as [number, number, number];
      return new Date(y, m - 1, d, 14, 30).getTime() / 1000;
    }, day);
    await modal.getByRole('button', { name: 'Change expiration' }).click();
    await modal.waitFor({ state: 'detached' });
    return expected;
  }

  it('filters, selects and deletes tags', async () => {
    const page = await ui.signedInPage('alice');
    await openTags(page);
    await expect.poll(() => page.getByTestId('tags-table').getByTestId('security-summary').first().textContent()).toBe('Not yet scanned');
    const kebab = await page.getByRole('button', { name: 'Actions for tag v1' }).boundingBox();
    const panel = await page.getByRole('tabpanel').boundingBox();
    expect((kebab?.x ?? 0) + (kebab?.width ?? 0), 'the row actions fit the tab at 1280px').toBeLessThanOrEqual((panel?.x ?? 0) + (panel?.width ?? 0));
    await ui.screenshot(page, 'tags');

    await page.getByLabel('Filter by tag name').fill('v');
    await page.getByTestId('tag-row-other').waitFor({ state: 'detached' });
    expect(await page.getByTestId('tag-row-v2').isVisible()).toBe(true);
    await page.getByLabel('Filter by tag name').fill('doom');
    await page.getByTestId('tag-row-v1').waitFor({ state: 'detached' });

    await page.getByTestId('tag-row-doomed').getByRole('checkbox').check();
    await page.getByTestId('tags-actions').click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    await expect(page.getByTestId('delete-list').textContent()).resolves.toBe('doomed');
    await page.getByLabel('Type confirm').fill('confirm');
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByTestId('tag-row-doomed').waitFor({ state: 'detached' });
    expect(await lastToast(page)).toContain('Successfully deleted tag doomed');
    expect(await liveTag('doomed'), 'the tag is gone').toBeUndefined();
    expect(await liveTag('v1'), 'only the selected tag went').toBeDefined();
  });

  it('sets the expiration of one tag and of several, and clears it', async () => {
    const page = await ui.signedInPage('alice');
    await openTags(page);

    await page.getByRole('button', { name: 'Actions for tag v1' }).click();
    await page.getByRole('menuitem', { name: 'Change expiration' }).click();
    const single = await pickExpiration(page);
    expect(await lastToast(page)).toMatch(/Successfully set expiration for tag v1 to \w+/);
    expect((await liveTag('v1'))?.end_ts).toBe(single);
    await expect.poll(() => page.getByTestId('tag-row-v1').getByTestId('tag-expires').textContent()).not.toBe('Never');

    await page.getByTestId('tag-row-v2').getByRole('checkbox').check();
    await page.getByTestId('tag-row-other').getByRole('checkbox').check();
    await page.getByTestId('tags-actions').click();
    await page.getByRole('menuitem', { name: 'Set expiration' }).click();
    const bulk = await pickExpiration(page);
    expect(await lastToast(page)).toMatch(/Successfully set expiration for tags (v2, other|other, v2) to \w+/);
    expect((await liveTag('v2'))?.end_ts).toBe(bulk);
    expect((await liveTag('other'))?.end_ts).toBe(bulk);
    expect((await liveTag('multi'))?.end_ts, 'an unselected tag keeps no expiration').toBeUndefined();

    await page.getByTestId('tag-row-other').getByTestId('tag-expires').getByRole('button').click();
    await page.getByTestId('change-expiration-modal').getByRole('button', { name: 'Clear expiration' }).click();
    await page.getByTestId('change-expiration-modal').waitFor({ state: 'detached' });
    expect((await liveTag('other'))?.end_ts, 'cleared').toBeUndefined();
  });

  it('adds and removes labels, rejecting a malformed one', async () => {
    const page = await ui.signedInPage('alice');
    await openTags(page);
    const labels = async () => {
      const response = await (await ui.api('alice')).get(`${REPO}/manifest/${otherDigest}/labels`);
      expect(response.status, response.describe()).toBe(200);
      return (response.body.labels as { key: string; value: string }[]).map((l) => `${l.key}=${l.value}`).sort();
    };
    await page.getByRole('button', { name: 'Actions for tag other' }).click();
    await page.getByRole('menuitem', { name: 'Edit labels' }).click();
    const modal = page.getByTestId('edit-labels-modal');
    await modal.getByText('org.quayside.e2e.seed=other').waitFor();
    await modal.getByLabel('Add new label').fill('no-separator');
    await modal.getByLabel('Add new label').press('Enter');
    await expect(modal.getByTestId('label-error').textContent()).resolves.toMatch(/Invalid label format.*key.*value.*separated by =/);
    await modal.getByLabel('Add new label').fill('env=prod');
    await modal.getByLabel('Add new label').press('Enter');
    await modal.getByLabel('Add new label').fill('team=core');
    await modal.getByRole('button', { name: 'Add', exact: true }).click();
    await modal.getByRole('button', { name: 'Save labels' }).click();
    await modal.waitFor({ state: 'detached' });
    expect(await lastToast(page)).toContain('Successfully saved labels for tag other');
    expect(await labels()).toEqual(['env=prod', 'org.quayside.e2e.seed=other', 'team=core']);

    await page.getByRole('button', { name: 'Actions for tag other' }).click();
    await page.getByRole('menuitem', { name: 'Edit labels' }).click();
    await modal.getByRole('button', { name: 'Remove label env' }).click();
    await modal.getByRole('button', { name: 'Save labels' }).click();
    await modal.waitFor({ state: 'detached' });
    expect(await labels()).toEqual(['org.quayside.e2e.seed=other', 'team=core']);
  });

  it('shows the pull commands and the platforms of a manifest list, also on a narrow screen', async () => {
    const config = await (await fetch(`${ui.registry.url}/config`)).json();
    const host = config.config.SERVER_HOSTNAME as string;
    const page = await ui.signedInPage('alice');
    await openTags(page);
    await page.getByTestId('tag-row-other').getByTestId('pull-icon').hover();
    const byDigest = page.getByTestId('pull-podman-digest').locator('input');
    await expect.poll(() => byDigest.inputValue()).toBe(`podman pull ${host}/alice/app@${otherDigest}`);
    await expect(page.getByTestId('pull-docker-tag').locator('input').inputValue()).resolves.toBe(`docker pull ${host}/alice/app:other`);

    await page.getByTestId('tag-row-multi').getByRole('button', { name: 'Details' }).click();
    const children = page.getByTestId('child-manifest-row');
    await expect.poll(() => children.count()).toBe(2);
    await expect.poll(() => children.allTextContents()).toEqual([expect.stringContaining('linux/amd64'), expect.stringContaining('linux/arm64/v8')]);
    await ui.screenshot(page, 'tags-expanded');

    const narrow = await ui.signedInPage('alice', NARROW);
    await openTags(narrow);
    await expectNoHorizontalOverflow(narrow);
    await ui.screenshot(narrow, 'tags-narrow');
  });

  it('opens the details of a tag with its digest, size and not-yet-scanned reports', async () => {
    const page = await ui.signedInPage('alice');
    await openTags(page);
    await page.getByTestId('tag-row-v2').getByRole('link', { name: 'v2' }).click();
    await page.waitForURL(/\/repository\/alice\/app\/tag\/v2$/);
    const tag = await liveTag('v2');
    expect(tag?.manifest_digest).toBe(appDigest);
    await expect.poll(() => page.getByTestId('tag-digest').textContent()).toContain(appDigest);
    const shownSize = await page.getByTestId('tag-size').textContent();
    const kB = (tag?.size ?? 0) / 1000;
    expect(shownSize).toBe(`${kB.toFixed(kB < 10 ? 2 : 1)} kB`);
    await expect(page.getByTestId('tag-details').getByTestId('security-summary').textContent()).resolves.toBe('Not yet scanned');
    await expect(page.getByTestId('pull-podman-digest').locator('input').inputValue()).resolves.toContain(`/alice/app@${appDigest}`);
    await ui.screenshot(page, 'tag-details');

    await page.getByRole('tab', { name: 'Security Report' }).click();
    await expect(page.getByTestId('scan-vulnerabilities').textContent()).resolves.toMatch(/not yet scanned/i);
    await page.getByRole('tab', { name: 'Packages' }).click();
    await expect(page.getByTestId('scan-packages').textContent()).resolves.toMatch(/not yet scanned/i);

    await page.getByTestId('breadcrumb-repository').click();
    await page.getByTestId('tag-row-v1').waitFor();
  });
});
