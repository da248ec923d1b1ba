import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Serves the built web UI (web/, built by Vite into dist/web) at `/`. Vite names every asset after
 * a hash of its content, so assets are cached for a year as immutable; index.html is revalidated
 * on every load so that a new release is picked up at once. Text files are sent gzipped to clients
 * that accept it, from the .gz the build writes beside each one. Any other GET a browser makes for a
 * page (an address inside the single-page app such as /repository/acme/app or /confirminvite)
 * gets index.html, and the app's router takes it from there. Paths that belong to the registry,
 * the API and the operational endpoints keep their own 404s.
 */

// Two levels up from this module is the package root, whether it runs from src/ (tests) or dist/.
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web', import.meta.url));

/** Paths that belong to the registry, the API and operations: the path itself and everything below it. */
const NOT_THE_UI = ['/api', '/v2', '/v1', '/health', '/status', '/metrics', '/oauth', '/csrf_token', '/config'];

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

async function regularFile(path: string): Promise<{ size: number; mtime: Date } | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info : undefined;
  } catch {
    return undefined;
  }
}

function acceptsGzip(request: FastifyRequest): boolean {
  const accepted = request.headers['accept-encoding'];
  return typeof accepted === 'string' && /\bgzip\b/.test(accepted) && !/\bgzip;\s*q=0(\.0*)?\b/.test(accepted);
}

function isUiPath(url: string): boolean {
  return !NOT_THE_UI.some((prefix) => url === prefix || url.startsWith(`${prefix}/`));
}

/**
 * Whether a path names a file of the build rather than a page: anything under /assets/, and a
 * file name with an extension directly at the root (/favicon.svg). Page addresses may contain
 * dots too (/repository/acme/app/tag/v1.2.3, /user/john.doe), and those get the page.
 */
function namesBuiltFile(decodedPath: string): boolean {
  if (decodedPath.startsWith('/assets/')) return true;
  return decodedPath.lastIndexOf('/') === 0 && extname(decodedPath) !== '';
}

export interface WebUiOptions {
  /** The directory holding index.html and assets/ (default: dist/web beside the server code). */
  root?: string;
}

/** Registers the UI routes; returns false (registering nothing) when the UI has not been built. */
export async function registerWebUi(app: FastifyInstance, options: WebUiOptions = {}): Promise<boolean> {
  const root = resolve(options.root ?? DEFAULT_WEB_ROOT);
  const indexPath = join(root, 'index.html');
  if (!(await regularFile(indexPath))) return false;

  async function sendFile(request: FastifyRequest, reply: FastifyReply, path: string, cacheControl: string): Promise<boolean> {
    const info = await regularFile(path);
    if (!info) return false;
    const compressed = acceptsGzip(request) ? await regularFile(`${path}.gz`) : undefined;
    reply
      .header('content-type', CONTENT_TYPES[extname(path)] ?? 'application/octet-stream')
      .header('content-length', (compressed ?? info).size)
      .header('cache-control', cacheControl)
      .header('last-modified', info.mtime.toUTCString())
      .header('vary', 'accept-encoding')
      .header('x-content-type-options', 'nosniff');
    if (compressed) reply.header('content-encoding', 'gzip');
    await reply.send(createReadStream(compressed ? `${path}.gz` : path));
    return true;
  }

  function sendIndex(request: FastifyRequest, reply: FastifyReply) {
    reply.header('x-frame-options', 'DENY');
    return sendFile(request, reply, indexPath, REVALIDATE);
  }

  app.get('/', async (request, reply) => {
    await sendIndex(request, reply);
    return reply;
  });

  app.get('/*', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (!isUiPath(path)) return reply.callNotFound();
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return reply.code(400).send({ error_message: 'malformed path', status: 400 });
    }
    const candidate = resolve(root, `.${decoded}`);
    const inside = candidate.startsWith(root + sep);
    if (inside && namesBuiltFile(decoded)) {
      const cache = decoded.startsWith('/assets/') ? IMMUTABLE : REVALIDATE;
      if (await sendFile(request, reply, candidate, cache)) return reply;
      return reply.code(404).send({ error_message: `no file ${decoded}`, status: 404 });
    }
    await sendIndex(request, reply);
    return reply;
  });
  return true;
}
