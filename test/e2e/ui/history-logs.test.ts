import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogExportWorker } from '../../../src/workers/export-logs.js';
import { expectNoHorizontalOverflow, NARROW, uiTestsRunnable, useUiSuite, WIDE } from './harness.js';

/** Flow 6 (tag history and the time machine) and flow 11 (usage logs: chart, table, export). */

// biome-ignore lint/suspicious/noExplicitAny: callback bodies are read field by field
type Json = any;

/** Receives log-export callbacks on 127.0.0.1. */
class CallbackReceiver {
  readonly received: Json[] = [];
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      let text = '';
      request.on('data', (chunk) => {
        text += chunk;
      });
      request.on('end', () => {
        this.received.push(JSON.parse(text || 'null'));
        response.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/export-done`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

describe.skipIf(!uiTestsRunnable())('web UI: tag history and usage logs', () => {
  // The callback receiver listens on 127.0.0.1, which the outbound address policy refuses by default.
  const ui = useUiSuite({ WEBHOOK_HOSTNAME_BLACKLIST: [], SSRF_ALLOWED_HOSTS: ['127.0.0.1'] });
  const receiver = new CallbackReceiver();
  let callbackUrl: string;

  beforeAll(async () => {
    callbackUrl = await receiver.start();
  });
  afterAll(() => receiver.close());

  async function visibleRows(page: Page, testId: string) {
    return page.getByTestId(testId).evaluateAll((rows) =>
      rows.map((row) => ({ tag: row.getAttribute('data-tag'), kind: row.getAttribute('data-kind'), event: row.getAttribute('data-event'), text: row.textContent ?? '' })),
    );
  }

  it('shows every tag change, searches and filters by date, and restores an older digest', async () => {
    const older = await ui.push('alice', 'alice/app:v1', 'history-one');
    const newer = await ui.push('alice', 'alice/app:v1', 'history-two');
    expect(newer).not.toBe(older);
    await ui.push('alice', 'alice/app:old', 'history-one');
    const alice = await ui.api('alice');
    const deleted = await alice.delete('/api/v1/repository/alice/app/tag/old');
    expect(deleted.status, deleted.describe()).toBe(204);

    const page = await ui.signedInPage('alice');
    await page.goto('/repository/alice/app?tab=history');
    await page.getByTestId('tag-history-row').first().waitFor();
    const all = await visibleRows(page, 'tag-history-row');
    expect(all.filter((row) => row.tag === 'old').map((row) => row.event)).toEqual(['deleted', 'created']);
    expect(all.filter((row) => row.tag === 'v1').map((row) => row.event)).toEqual(['moved', 'created']);

    await page.getByLabel('Search by tag name').fill('v1');
    await expect.poll(async () => (await visibleRows(page, 'tag-history-row')).map((row) => row.tag)).toEqual(['v1', 'v1']);
    const move = page.locator('[data-testid="tag-history-row"][data-event="moved"]');
    await expect(move.textContent()).resolves.toContain(`Moved from ${older.slice(0, 19)} to ${newer.slice(0, 19)}`);

    // A range starting tomorrow holds nothing; one ending today holds everything again.
    const tomorrow = new Date(Date.now() + 86_400_000);
    const localDay = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    await page.getByRole('textbox', { name: 'From date' }).fill(localDay(tomorrow));
    await page.getByTestId('tag-history-empty').waitFor();
    await page.getByRole('textbox', { name: 'From date' }).fill(localDay(new Date()));
    await page.getByRole('textbox', { name: 'To date' }).fill(localDay(new Date()));
    await move.waitFor();
    await ui.screenshot(page, 'tag-history');

    await page.getByRole('button', { name: `Restore v1 to ${older}` }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByTestId('restore-digest').textContent()).resolves.toBe(older);
    await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
    await expect(page.getByTestId('toast').first().textContent()).resolves.toContain('Restored tag v1');
    const live = await alice.get('/api/v1/repository/alice/app/tag/?specificTag=v1&onlyActiveTags=true');
    expect(live.status, live.describe()).toBe(200);
    expect(live.body.tags.map((tag: Json) => tag.manifest_digest)).toEqual([older]);
    await page.locator('[data-testid="tag-history-row"][data-event="restored"]').waitFor();
  });

  /** Waits until the table shows the first page the API returns, and checks it row by row. */
  async function expectRowsMatchApi(page: Page, apiPath: string, username: string) {
    const client = await ui.api(username);
    const res = await client.get(apiPath);
    expect(res.status, res.describe()).toBe(200);
    const kinds = res.body.logs.map((entry: Json) => entry.kind);
    expect(kinds.length).toBeGreaterThan(0);
    await page.getByTestId('log-row').first().waitFor();
    expect((await visibleRows(page, 'log-row')).map((row) => row.kind)).toEqual(kinds);
    return kinds as string[];
  }

  it('shows repository, organization and user logs with a chart, filters and exports them', async () => {
    const alice = await ui.api('alice');
    const org = await alice.post('/api/v1/organization/', { name: 'acme', email: 'acme@example.com' });
    expect(org.status, org.describe()).toBe(201);
    const repo = await alice.post('/api/v1/repository', { namespace: 'acme', repository: 'web', visibility: 'private', description: '' });
    expect(repo.status, repo.describe()).toBe(201);
    await ui.push('alice', 'alice/logs-app:latest', 'logs-one');
    // Push entries are written in batches; wait until the API lists them.
    await expect
      .poll(async () => (await alice.get('/api/v1/repository/alice/logs-app/logs')).body.logs?.map((e: Json) => e.kind) ?? [], { timeout: 10_000 })
      .toContain('push_repo');

    const page = await ui.signedInPage('alice');
    await page.goto('/repository/alice/logs-app?tab=logs');
    const repoKinds = await expectRowsMatchApi(page, '/api/v1/repository/alice/logs-app/logs', 'alice');
    expect(repoKinds).toContain('push_repo');
    const todayBar = page.locator(`[data-testid="logs-chart-bar"][data-day="${todayUtc()}"]`);
    await todayBar.waitFor();
    expect(Number(await todayBar.getAttribute('data-count'))).toBe(repoKinds.length);
    await expect(page.getByTestId('logs-chart-legend-item').first().textContent()).resolves.toMatch(/Push to repository \(\d+\)/);

    await page.getByLabel('Filter logs').fill('pushed tag latest');
    await expect.poll(async () => (await visibleRows(page, 'log-row')).map((row) => row.kind)).toEqual(['push_repo']);
    await ui.screenshot(page, 'logs-repository');

    // Export: a bad address is refused before anything is sent; a callback URL is accepted.
    await page.getByRole('button', { name: 'Export' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('E-mail address or callback URL').fill('ftp://example.com/drop');
    await dialog.getByRole('button', { name: 'Start export' }).click();
    await expect(dialog.getByTestId('export-logs-helper').textContent()).resolves.toMatch(/callback URL starting with http:\/\/ or https:\/\//);
    const afterRefusal = await alice.get('/api/v1/repository/alice/logs-app/logs');
    expect(afterRefusal.body.logs.map((e: Json) => e.kind)).not.toContain('export_logs_failure');
    await dialog.getByLabel('E-mail address or callback URL').fill(callbackUrl);
    await dialog.getByRole('button', { name: 'Start export' }).click();
    const toast = page.getByTestId('toast').filter({ hasText: 'Logs export queued' });
    const exportId = /with id (\S+)/.exec((await toast.textContent()) ?? '')?.[1];
    expect(exportId).toBeTruthy();
    const logged = await alice.get('/api/v1/repository/alice/logs-app/logs');
    const success = logged.body.logs.find((e: Json) => e.kind === 'export_logs_success');
    expect(success?.metadata).toMatchObject({ export_id: exportId, url: callbackUrl });
    // The exportactionlogs worker is not running inside the test registry: run it once here.
    expect(await createLogExportWorker(ui.registry.ctx).drain()).toBe(1);
    expect(receiver.received.at(-1)).toMatchObject({ export_id: exportId, status: 'success', repository: 'logs-app' });

    await page.getByLabel('Filter logs').fill('');
    await page.setViewportSize(NARROW);
    // The export wrote an entry of its own, which the refreshed table shows.
    const kindsAfterExport = logged.body.logs.map((e: Json) => e.kind);
    await expect.poll(async () => (await visibleRows(page, 'log-row')).map((row) => row.kind)).toEqual(kindsAfterExport);
    await expectNoHorizontalOverflow(page);
    await ui.screenshot(page, 'logs-repository-narrow');
    await page.setViewportSize(WIDE);

    await page.goto('/organization/acme?tab=logs');
    const orgKinds = await expectRowsMatchApi(page, '/api/v1/organization/acme/logs', 'alice');
    expect(orgKinds).toEqual(expect.arrayContaining(['org_create', 'create_repo']));
    await page.locator(`[data-testid="logs-chart-bar"][data-day="${todayUtc()}"]`).waitFor();
    await ui.screenshot(page, 'logs-organization');

    await page.goto('/user/alice?tab=logs');
    const userKinds = await expectRowsMatchApi(page, '/api/v1/user/logs', 'alice');
    expect(userKinds).toContain('push_repo');
    await ui.screenshot(page, 'logs-user');
  });
});
