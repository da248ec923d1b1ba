import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { TestDialect } from '../helpers/databases.js';
import { basicAuth, errorBody, parseChallenge, RegistryClient, type RegistryResponse } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** Shared set-up and assertions of the conformance tests (one registry per dialect per file). */

export const ALICE = { username: 'alice', password: 'alice-password-1' };
export const BOB = { username: 'bob', password: 'bob-password-1' };

export interface ConformanceEnv {
  registry: TestRegistry;
  /** alice, with HTTP basic auth on every request. */
  alice: RegistryClient;
  /** bob, with HTTP basic auth on every request. */
  bob: RegistryClient;
  anonymous: RegistryClient;
  /** A fresh repository name in alice's namespace, e.g. alice/push-3f2a…. */
  repo(prefix: string, namespace?: string): string;
  /** Marks a repository public (the REST API for that comes later). */
  makePublic(repository: string): Promise<void>;
  close(): Promise<void>;
}

export async function startConformanceEnv(dialect: TestDialect): Promise<ConformanceEnv> {
  const registry = await startTestRegistry({ dialect });
  await registry.createUser(ALICE.username, ALICE.password);
  await registry.createUser(BOB.username, BOB.password);
  const anonymous = new RegistryClient(registry.url);
  return {
    registry,
    anonymous,
    alice: anonymous.as(basicAuth(ALICE.username, ALICE.password)),
    bob: anonymous.as(basicAuth(BOB.username, BOB.password)),
    repo: (prefix, namespace = 'alice') => `${namespace}/${prefix}-${randomBytes(4).toString('hex')}`,
    async makePublic(repository) {
      const slash = repository.indexOf('/');
      const ns = await registry.ctx.db
        .selectFrom('namespace')
        .select('id')
        .where('name', '=', repository.slice(0, slash))
        .executeTakeFirstOrThrow();
      const result = await registry.ctx.db
        .updateTable('repository')
        .set({ visibility: 'public' })
        .where('namespace_id', '=', ns.id)
        .where('name', '=', repository.slice(slash + 1))
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) throw new Error(`repository ${repository} not found`);
    },
    close: () => registry.close(),
  };
}

/** Asserts an OCI error response: status, JSON `{"errors":[{code,message}]}`, and one of `codes`. */
export function expectOciError(res: RegistryResponse, status: number | number[], codes: string | string[]): void {
  const statuses = Array.isArray(status) ? status : [status];
  expect(statuses, res.describe()).toContain(res.status);
  if (res.method === 'HEAD') {
    expect(res.body.length, 'HEAD responses carry no body').toBe(0);
    return;
  }
  expectErrorShape(res);
  const allowed = Array.isArray(codes) ? codes : [codes];
  const body = errorBody(res)!;
  expect(allowed, res.describe()).toContain(body.errors[0]!.code);
}

/** Any 4xx/5xx body must be OCI error JSON: never HTML, never a stack trace. */
export function expectErrorShape(res: RegistryResponse): void {
  expect(res.header('content-type') ?? '', res.describe()).toMatch(/^application\/json\b/);
  const body = errorBody(res);
  expect(body, `not an OCI error body: ${res.describe()}`).not.toBeNull();
  expect(body!.errors.length, res.describe()).toBeGreaterThan(0);
  for (const entry of body!.errors) {
    expect(entry.code, res.describe()).toMatch(/^[A-Z_]+$/);
    if (entry.message !== undefined) expect(typeof entry.message).toBe('string');
  }
  const text = res.text();
  expect(text, 'error body leaks a stack trace').not.toMatch(/\n\s+at \S+ \(|node:internal|\.ts:\d+:\d+|\.js:\d+:\d+/);
  expect(text.toLowerCase(), 'error body is HTML').not.toContain('<html');
}

/** Asserts a 401 with a Bearer challenge pointing at this registry's /v2/auth. */
export function expectChallenge(res: RegistryResponse, host: string, scope?: string): void {
  expectOciError(res, 401, 'UNAUTHORIZED');
  const challenge = parseChallenge(res.header('www-authenticate'));
  expect(challenge, `no WWW-Authenticate: ${res.describe()}`).not.toBeNull();
  expect(challenge!.scheme).toBe('Bearer');
  expect(challenge!.params['realm']).toBe(`http://${host}/v2/auth`);
  expect(challenge!.params['service']).toBe(host);
  if (scope !== undefined) expect(challenge!.params['scope']).toBe(scope);
}

/** Resolves a Location header to its path (+query) on this registry, whether relative or absolute. */
export function locationPath(res: RegistryResponse, baseUrl: string): string {
  const location = res.header('location');
  expect(location, `no Location: ${res.describe()}`).toBeTruthy();
  const url = new URL(location!, baseUrl);
  expect(url.origin, 'Location points at another server').toBe(new URL(baseUrl).origin);
  return url.pathname + url.search;
}

/** Asserts that `res` is 2xx, for test set-up steps. */
export function expectStatus(res: RegistryResponse, status: number): void {
  expect(res.status, res.describe()).toBe(status);
}

export function asRecord(value: unknown): Record<string, unknown> {
  expect(typeof value === 'object' && value !== null && !Array.isArray(value), JSON.stringify(value)).toBe(true);
  return value as Record<string, unknown>;
}

/** Decodes a JWT's payload without checking it. */
export function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) throw new Error('not a JWT');
  return asRecord(JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
}
