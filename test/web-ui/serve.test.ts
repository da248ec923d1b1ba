import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** `quayside serve` answers the web UI at `/` with cache headers, and leaves the other paths alone. */
describe('web UI serving', () => {
  let registry: TestRegistry;
  let root: string;
  const INDEX = '<!doctype html><title>ui</title><div id="root"></div>';

  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'quayside-webui-'));
    await mkdir(path.join(root, 'assets'));
    await writeFile(path.join(root, 'index.html'), INDEX);
    await writeFile(path.join(root, 'assets', 'index-abc123.js'), 'console.log("ui")');
    await writeFile(path.join(root, 'assets', 'index-abc123.css'), 'body{}');
    await writeFile(path.join(root, 'assets', 'index-abc123.js.gz'), gzipSync('console.log("ui")'));
    await writeFile(path.join(root, 'favicon.svg'), '<svg/>');
    await writeFile(path.join(path.dirname(root), 'outside-the-ui.txt'), 'secret');
    registry = await startTestRegistry({ webUiRoot: root });
  });
  afterAll(async () => {
    await registry?.close();
    await rm(root, { recursive: true, force: true });
  });

  const get = (url: string, init?: RequestInit) => fetch(`${registry.url}${url}`, init);

  it('serves index.html at / and revalidates it on every load', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toBe(INDEX);
  });

  it('caches hashed assets for a year as immutable, with their content type', async () => {
    const js = await get('/assets/index-abc123.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log("ui")');
    const css = await get('/assets/index-abc123.css');
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    const icon = await get('/favicon.svg');
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('sends the precompressed copy to clients that accept gzip, and the plain file to others', async () => {
    const gzipped = await get('/assets/index-abc123.js', { headers: { 'accept-encoding': 'gzip, br' } });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(gzipped.headers.get('vary')).toMatch(/accept-encoding/i);
    expect(await gzipped.text(), 'fetch decodes it back to the file').toBe('console.log("ui")');
    const plain = await get('/assets/index-abc123.js', { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(await plain.text()).toBe('console.log("ui")');
    const noCopy = await get('/assets/index-abc123.css', { headers: { 'accept-encoding': 'gzip' } });
    expect(noCopy.headers.get('content-encoding'), 'no .gz beside it').toBeNull();
  });

  it('answers the single-page addresses, /confirminvite included, with index.html', async () => {
    const addresses = [
      '/confirminvite?code=abc',
      '/repository/acme/app/tag/v1',
      '/repository/acme/app/tag/v1.2.3',
      '/repository/acme/my.app',
      '/user/john.doe',
      '/organization/acme?tab=teams',
      '/signin',
      '/configuration',
      '/statusboard',
    ];
    for (const address of addresses) {
      const res = await get(address);
      expect(res.status, address).toBe(200);
      expect(await res.text(), address).toBe(INDEX);
    }
  });

  it('answers a missing asset with 404 rather than the page', async () => {
    const res = await get('/assets/missing-000.js');
    expect(res.status).toBe(404);
  });

  it('never serves a file outside the UI directory', async () => {
    for (const address of ['/..%2foutside-the-ui.txt', '/assets/..%2f..%2foutside-the-ui.txt', '/%2e%2e/outside-the-ui.txt']) {
      const res = await get(address);
      expect(await res.text(), address).not.toContain('secret');
    }
  });

  it('leaves the API, registry and health paths to their own handlers', async () => {
    const api = await get('/api/v1/no-such-endpoint');
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/json/);
    const v2 = await get('/v2/');
    expect(v2.status).toBe(401);
    expect(v2.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const health = await get('/health/instance');
    expect(health.headers.get('content-type')).toMatch(/json/);
    for (const address of ['/api/v2/anything', '/health/nothing-here', '/metrics', '/csrf_token']) {
      const res = await get(address);
      expect(await res.text(), address).not.toBe(INDEX);
    }
  });

  it('answers HEAD for the page and assets', async () => {
    const res = await get('/assets/index-abc123.js', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('immutable');
  });
});

describe('web UI serving when the UI is not built', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry({ webUiRoot: path.join(tmpdir(), 'quayside-no-such-ui-dir') });
  });
  afterAll(async () => registry?.close());

  it('serves the registry and API, and 404s at /', async () => {
    expect((await fetch(`${registry.url}/`)).status).toBe(404);
    expect((await fetch(`${registry.url}/api/v1/messages`)).status).toBe(200);
  });
});
