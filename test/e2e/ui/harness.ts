import { accessSync, constants } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type ConsoleMessage, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { type ApiClient, sessionClient } from '../../helpers/api.js';
import { REPO_ROOT, requireClient, runOk } from '../../helpers/clients.js';
import { createImageLayout, type LayoutImage } from '../../helpers/oci-layout.js';
import { startTestRegistry, type TestRegistry } from '../../helpers/registry.js';
import { PASSWORD } from '../support.js';

/**
 * End-to-end tests of the web UI: a real Quayside (SQLite) serving the built UI, real Chromium
 * (Debian's package) driven by playwright-core, and real pushes by skopeo. Every page a test opens
 * fails the test on a browser console error or an uncaught exception, unless the test declared
 * that error as expected (a 401 it provokes, say). Screenshots go to test-artifacts/ui/.
 */

export const CHROMIUM = process.env['QUAYSIDE_CHROMIUM'] ?? '/usr/bin/chromium';
export const WEB_ROOT = process.env['QUAYSIDE_E2E_WEB_DIR'] ?? path.join(REPO_ROOT, 'dist', 'web');
export const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'ui');
export const WIDE = { width: 1280, height: 800 };
export const NARROW = { width: 390, height: 844 };
export { PASSWORD };

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function usable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function webUiBuilt(): boolean {
  try {
    accessSync(path.join(WEB_ROOT, 'index.html'), constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Whether the UI tests can run; under CI=true a missing browser or build is an error. */
export function uiTestsRunnable(): boolean {
  const problems: string[] = [];
  if (!usable(CHROMIUM)) problems.push(`no Chromium at ${CHROMIUM} (apt-get install -y chromium)`);
  if (!webUiBuilt()) problems.push(`the web UI is not built at ${WEB_ROOT} (npm run build)`);
  if (!requireClient('skopeo')) problems.push('skopeo is missing');
  if (problems.length === 0) return true;
  if (process.env['CI'] === 'true') throw new Error(`CI=true and the UI tests cannot run: ${problems.join('; ')}`);
  console.warn(`\n*** SKIPPING the web UI end-to-end tests: ${problems.join('; ')} ***\n`);
  return false;
}

/** The console errors and page errors a page produced that no test declared as expected. */
interface ErrorWatch {
  unexpected: string[];
  allowed: RegExp[];
}

export interface UiSuite {
  registry: TestRegistry;
  browser: Browser;
  /** Scratch directory for image layouts. */
  work: string;
  /** A new browser context and page at `viewport` (default 1280x800), watched for console errors. */
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  /** A new page signed in through the real sign-in form as `username`. */
  signedInPage(username: string, viewport?: { width: number; height: number }): Promise<Page>;
  /** Lets the current test produce console errors matching `pattern` (e.g. a 401 it provokes). */
  allowConsoleError(pattern: RegExp): void;
  /** Saves a full-page screenshot as test-artifacts/ui/<name>.png. */
  screenshot(page: Page, name: string): Promise<string>;
  /** An /api/v1 client with a real session of `username`, to assert effects. */
  api(username: string): Promise<ApiClient>;
  /** Pushes a generated image with skopeo as `username`; returns its manifest digest. */
  push(username: string, repoAndTag: string, seed?: string): Promise<string>;
}

/** Users every UI suite has: `admin` (a superuser), `alice` and `bob`, all with PASSWORD. */
export const USERS = ['admin', 'alice', 'bob'] as const;

/**
 * Starts the registry and the browser for the surrounding describe block. `overrides` are
 * config.yaml keys on top of the suite's (SUPER_USERS: [admin]).
 */
export function useUiSuite(overrides: Record<string, unknown> = {}): UiSuite {
  const watch: ErrorWatch = { unexpected: [], allowed: [] };
  const contexts: BrowserContext[] = [];
  const suite = {} as UiSuite;
  const images = new Map<string, LayoutImage>();

  beforeAll(async () => {
    suite.registry = await startTestRegistry({
      overrides: { SUPER_USERS: ['admin'], ...overrides },
      webUiRoot: WEB_ROOT,
    });
    for (const user of USERS) await suite.registry.createUser(user, PASSWORD, { email: `${user}@example.com` });
    suite.work = path.join(suite.registry.dataDir, 'e2e-work');
    await mkdir(suite.work, { recursive: true });
    await mkdir(ARTIFACTS, { recursive: true });
    suite.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close().catch(() => undefined);
    const unexpected = watch.unexpected.splice(0);
    watch.allowed = [];
    expect(unexpected, 'browser console errors').toEqual([]);
  });

  afterAll(async () => {
    await suite.browser?.close();
    await suite.registry?.close();
  });

  function record(text: string): void {
    if (!watch.allowed.some((pattern) => pattern.test(text))) watch.unexpected.push(text);
  }

  function watchPage(page: Page): void {
    page.on('console', (message: ConsoleMessage) => {
      if (message.type() !== 'error') return;
      const where = message.location().url;
      // The first "who am I" of a signed-out browser is answered 401 by design (as Quay does).
      if (/Failed to load resource.*401/.test(message.text()) && /\/api\/v1\/user\/$/.test(where)) return;
      record(`${message.text()} (${where})`);
    });
    page.on('pageerror', (error) => record(`uncaught: ${error.message}`));
  }

  suite.newPage = async (viewport = WIDE) => {
    const context = await suite.browser.newContext({ viewport, baseURL: suite.registry.url });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    watchPage(page);
    return page;
  };

  suite.signedInPage = async (username, viewport = WIDE) => {
    const page = await suite.newPage(viewport);
    await page.goto('/signin');
    await page.locator('#signin-username').fill(username);
    await page.locator('#signin-password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
    return page;
  };

  suite.allowConsoleError = (pattern) => {
    watch.allowed.push(pattern);
  };

  suite.screenshot = async (page, name) => {
    const file = path.join(ARTIFACTS, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  };

  suite.api = (username) => sessionClient(suite.registry, username);

  suite.push = async (username, repoAndTag, seed = repoAndTag) => {
    const skopeo = requireClient('skopeo');
    if (!skopeo) throw new Error('skopeo is required');
    let image = images.get(seed);
    if (!image) {
      image = await createImageLayout(path.join(suite.work, `layout-${images.size}`), { seed, tag: 'latest' });
      images.set(seed, image);
    }
    await runOk(skopeo, [
      'copy',
      '--dest-tls-verify=false',
      '--preserve-digests',
      '--dest-creds',
      `${username}:${PASSWORD}`,
      image.ref,
      `docker://${suite.registry.host}/${repoAndTag}`,
    ]);
    return image.image.manifestDescriptor.digest;
  };

  return suite;
}

/** Fails when the page scrolls sideways: the layout does not fit the viewport. */
export async function expectNoHorizontalOverflow(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, 'horizontal overflow in px').toBeLessThanOrEqual(1);
}

/** Awaits an API call made while setting a test up and fails unless it answered `status`. */
export async function expectResponseStatus(response: Promise<{ status: number; describe(): string }>, status: number): Promise<void> {
  const answer = await response;
  expect(answer.status, answer.describe()).toBe(status);
}
