import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { TestDialect } from '../helpers/databases.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** Password of every user the e2e tests create. */
export const PASSWORD = 'e2e-Pa55word!';
export const WRONG_PASSWORD = 'not-the-password';

export interface E2EContext {
  registry: TestRegistry;
  /** A scratch directory removed after the suite. */
  work: string;
}

/**
 * Starts one in-process registry for the surrounding describe block, with users alice (owner of
 * the pushed repositories) and bob (a second, unrelated user), and a scratch directory.
 */
export function useRegistry(dialect: TestDialect, overrides?: Record<string, unknown>): E2EContext {
  const ctx = {} as E2EContext;
  beforeAll(async () => {
    // lower-case only: podman names images pulled from `oci:DIR` after DIR
    ctx.work = path.join(tmpdir(), `quayside-e2e-${randomBytes(6).toString('hex')}`);
    await mkdir(ctx.work, { recursive: false, mode: 0o700 });
    ctx.registry = await startTestRegistry({ dialect, ...(overrides ? { overrides } : {}) });
    await ctx.registry.createUser('alice', PASSWORD, { email: 'alice@example.com' });
    await ctx.registry.createUser('bob', PASSWORD, { email: 'bob@example.com' });
  });
  afterAll(async () => {
    await ctx.registry?.close();
    if (ctx.work) await rm(ctx.work, { recursive: true, force: true });
  });
  return ctx;
}

/** `Authorization: Basic` for direct HTTP cross-checks of what a client did. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/** The text clients print when a registry refuses credentials or access, across skopeo/podman/oras/docker. */
export const AUTH_REFUSED = /unauthori[sz]ed|authentication required|denied|forbidden|401|403|invalid username\/password|requested access to the resource is denied/i;
