import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { TestDialect } from '../helpers/databases.js';
import { type Auth, authorizationHeader, basicAuth, RegistryClient } from '../helpers/http.js';
import { ServerProcess } from '../helpers/server-process.js';

export const ALICE = { username: 'alice', password: 'alice-password-1' };

export interface ProcessEnv {
  server: ServerProcess;
  /** A client for alice on the server's current URL (the port survives restarts). */
  alice(): RegistryClient;
  close(): Promise<void>;
}

export async function startProcessEnv(dialect: TestDialect): Promise<ProcessEnv> {
  const server = await ServerProcess.start({ dialect });
  try {
    await server.createUser(ALICE.username, ALICE.password);
  } catch (err) {
    await server.close();
    throw err;
  }
  return {
    server,
    alice: () => new RegistryClient(server.url, basicAuth(ALICE.username, ALICE.password)),
    close: () => server.close(),
  };
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function walk(dir: string): Promise<string[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(full)));
    else files.push(full);
  }
  return files;
}

export interface StorageScan {
  /** hex digests of the files whose content hashes to their name. */
  good: string[];
  /** Files under storage/sha256 that are not a complete blob named by its hash: half-written, temp, misplaced. */
  bad: Array<{ file: string; reason: string }>;
}

/** Checks every file under `<storage>/sha256/`: each must be named by the sha256 of its content. */
export async function scanBlobFiles(storageDir: string): Promise<StorageScan> {
  const root = path.join(storageDir, 'sha256');
  const scan: StorageScan = { good: [], bad: [] };
  for (const file of await walk(root)) {
    const name = path.basename(file);
    const relative = path.relative(root, file);
    if (!/^[a-f0-9]{64}$/.test(name)) {
      scan.bad.push({ file: relative, reason: 'not named by a sha256 digest (temp or stray file)' });
      continue;
    }
    const actual = await sha256File(file);
    if (actual !== name) scan.bad.push({ file: relative, reason: `content hashes to ${actual}` });
    else scan.good.push(name);
  }
  return scan;
}

/** Every file anywhere under the storage dir (for diagnostics: leftover upload parts). */
export async function allStorageFiles(storageDir: string): Promise<string[]> {
  return (await walk(storageDir)).map((f) => path.relative(storageDir, f));
}

export interface PendingRequest {
  /** Resolves when the request ends, whatever the outcome (status or error text). */
  done: Promise<{ status?: number; error?: string }>;
  /** Destroys the socket. */
  abort(): void;
}

/**
 * Starts a PATCH whose body is sent only partly: `sent` bytes go out at once and the request then
 * stalls (declared length `declared`) until it is aborted or the server dies.
 */
export function stalledPatch(
  url: string,
  auth: Auth,
  sent: Buffer,
  declared: number,
  contentRange: string,
): PendingRequest {
  const target = new URL(url);
  const headers: Record<string, string> = {
    'Content-Type': 'application/octet-stream',
    'Content-Length': String(declared),
    'Content-Range': contentRange,
  };
  const authorization = authorizationHeader(auth);
  if (authorization) headers['Authorization'] = authorization;
  const req = http.request({
    method: 'PATCH',
    host: target.hostname,
    port: target.port,
    path: target.pathname + target.search,
    headers,
    agent: false,
  });
  const done = new Promise<{ status?: number; error?: string }>((resolve) => {
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      res.on('error', (err) => resolve({ status: res.statusCode ?? 0, error: String(err) }));
    });
    req.on('error', (err) => resolve({ error: String(err) }));
  });
  req.write(sent);
  return { done, abort: () => req.destroy() };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
