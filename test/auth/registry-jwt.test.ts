import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ANONYMOUS, type AccessGrant, type Principal } from '../../src/auth/principal.js';
import { createRegistryTokens, type RegistryTokenService } from '../../src/auth/registry-jwt.js';
import { Unauthorized } from '../../src/errors.js';
import { createUser } from '../../src/model/users.js';
import { testDialects } from '../helpers/databases.js';
import { openTestDatabase, type TestDatabase } from './support.js';

const AUDIENCE = 'registry.example:8080';
const ACCESS: AccessGrant[] = [{ type: 'repository', name: 'alice/app', actions: ['pull', 'push'] }];

async function rejection(promise: Promise<unknown>): Promise<Unauthorized> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Unauthorized);
  return err as Unauthorized;
}

function flipSignature(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  bytes[10] = (bytes[10] ?? 0) ^ 0xff;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

describe.each(testDialects())('registry tokens (%s)', (dialect) => {
  let t: TestDatabase;
  let tokens: RegistryTokenService;
  let alice: Principal;

  beforeAll(async () => {
    t = await openTestDatabase(dialect, { TOKEN_VALIDITY_LIFETIME_S: 600 });
    tokens = await createRegistryTokens(t);
    const row = await createUser(t.db, t.config, { name: 'alice', password: 'alice-password' });
    alice = { kind: 'user', id: row.id, name: 'alice', superuser: false };
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await tokens.close();
    await t.close();
  });

  it('publishes its public key, and only the public key, for two hours', async () => {
    const rows = await t.db.selectFrom('service_key').selectAll().execute();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row.service).toBe('quay');
    expect(row.expires_at! - row.created_at).toBe(2 * 3600 * 1000);
    const jwk = JSON.parse(row.jwk) as Record<string, unknown>;
    expect(jwk).toMatchObject({ kty: 'RSA', kid: row.kid, alg: 'RS256' });
    expect(jwk['d']).toBeUndefined();
    expect(jwk['p']).toBeUndefined();
  });

  it('issues RS256 tokens with Quay claims and verifies them', async () => {
    const token = await tokens.issue({ principal: alice }, ACCESS, AUDIENCE);
    const header = decodeProtectedHeader(token);
    const [keyRow] = await t.db.selectFrom('service_key').select('kid').execute();
    expect(header).toMatchObject({ alg: 'RS256', kid: keyRow!.kid });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ iss: 'quay', aud: AUDIENCE, sub: 'alice', access: ACCESS });
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(claims.nbf).toBe(claims.iat);
    const user = await t.db.selectFrom('namespace').select('uuid').where('name', '=', 'alice').executeTakeFirstOrThrow();
    expect(claims['context']).toEqual({
      version: 2,
      entity_kind: 'user',
      entity_reference: user.uuid,
      kind: 'user',
      user: 'alice',
    });

    const verified = await tokens.verify(token, AUDIENCE);
    expect(verified).toEqual({ principal: alice, access: ACCESS });
  });

  it('round-trips anonymous tokens', async () => {
    const token = await tokens.issue({ principal: ANONYMOUS }, [], AUDIENCE);
    expect(decodeJwt(token)).toMatchObject({ sub: '(anonymous)', context: { entity_kind: 'anonymous' } });
    expect(await tokens.verify(token, AUDIENCE)).toEqual({ principal: ANONYMOUS, access: [] });
  });

  it('rejects a token for another audience', async () => {
    const token = await tokens.issue({ principal: alice }, ACCESS, AUDIENCE);
    const err = await rejection(tokens.verify(token, 'other.example'));
    expect(err.message).toMatch(/aud/);
  });

  it('accepts a token within 30 s after expiry and rejects it later', async () => {
    const token = await tokens.issue({ principal: alice }, ACCESS, AUDIENCE);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 600_000 + 20_000);
    await expect(tokens.verify(token, AUDIENCE)).resolves.toMatchObject({ principal: alice });
    vi.setSystemTime(Date.now() + 15_000);
    const err = await rejection(tokens.verify(token, AUDIENCE));
    expect(err.message).toBe('token has expired');
  });

  it('rejects a token used before its nbf (beyond the leeway)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 120_000);
    const token = await tokens.issue({ principal: alice }, ACCESS, AUDIENCE);
    vi.setSystemTime(Date.now() - 120_000);
    const err = await rejection(tokens.verify(token, AUDIENCE));
    expect(err.message).toMatch(/nbf/);
  });

  it('rejects a tampered signature and tampered claims', async () => {
    const token = await tokens.issue({ principal: alice }, ACCESS, AUDIENCE);
    expect((await rejection(tokens.verify(flipSignature(token), AUDIENCE))).message).toBe('token signature is invalid');

    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    claims['access'] = [{ type: 'repository', name: 'alice/app', actions: ['pull', 'push', '*'] }];
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expect((await rejection(tokens.verify(forged, AUDIENCE))).message).toBe('token signature is invalid');
  });

  it('rejects garbage', async () => {
    expect((await rejection(tokens.verify('not-a-jwt', AUDIENCE))).message).toBe('malformed token');
    expect((await rejection(tokens.verify('', AUDIENCE))).message).toBe('malformed token');
  });

  it('rejects tokens signed by a key nobody published, or by another key under a published kid', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const sign = (kid: string) =>
      new SignJWT({ access: ACCESS, context: {} })
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer('quay')
        .setAudience(AUDIENCE)
        .setSubject('alice')
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime('5m')
        .sign(privateKey);
    expect((await rejection(tokens.verify(await sign('unknown-kid'), AUDIENCE))).message).toBe(
      'token signed by an unknown key',
    );
    const [published] = await t.db.selectFrom('service_key').select('kid').execute();
    expect((await rejection(tokens.verify(await sign(published!.kid), AUDIENCE))).message).toBe(
      'token signature is invalid',
    );
  });

  it('rejects HS256 tokens whose secret is the published public key', async () => {
    const [published] = await t.db.selectFrom('service_key').select(['kid', 'jwk']).execute();
    const secret = new TextEncoder().encode(published!.jwk);
    const token = await new SignJWT({ access: ACCESS })
      .setProtectedHeader({ alg: 'HS256', kid: published!.kid })
      .setIssuer('quay')
      .setAudience(AUDIENCE)
      .setSubject('alice')
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('5m')
      .sign(secret);
    await rejection(tokens.verify(token, AUDIENCE));
  });

  it('verifies tokens of another replica sharing the database, both ways', async () => {
    const replica = await createRegistryTokens(t);
    try {
      const fromReplica = await replica.issue({ principal: alice }, ACCESS, AUDIENCE);
      const fromUs = await tokens.issue({ principal: alice }, ACCESS, AUDIENCE);
      expect(decodeProtectedHeader(fromReplica).kid).not.toBe(decodeProtectedHeader(fromUs).kid);
      await expect(tokens.verify(fromReplica, AUDIENCE)).resolves.toMatchObject({ principal: alice });
      await expect(replica.verify(fromUs, AUDIENCE)).resolves.toMatchObject({ principal: alice });
    } finally {
      await replica.close();
    }
  });

  it('stops trusting a key once its service_key row has expired (after the cache minute)', async () => {
    const replica = await createRegistryTokens(t);
    try {
      const token = await replica.issue({ principal: alice }, ACCESS, AUDIENCE);
      await expect(tokens.verify(token, AUDIENCE)).resolves.toBeDefined();
      const kid = decodeProtectedHeader(token).kid!;
      await t.db.updateTable('service_key').set({ expires_at: Date.now() - 1 }).where('kid', '=', kid).execute();
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() + 61_000);
      expect((await rejection(tokens.verify(token, AUDIENCE))).message).toBe('token signed by an unknown key');
    } finally {
      await replica.close();
    }
  });

  it('renews its published key every 55 minutes until closed', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const replica = await createRegistryTokens(t);
    const token = await replica.issue({ principal: ANONYMOUS }, [], AUDIENCE);
    const kid = decodeProtectedHeader(token).kid!;
    const expiry = async () =>
      (await t.db.selectFrom('service_key').select('expires_at').where('kid', '=', kid).executeTakeFirstOrThrow())
        .expires_at;
    await t.db.updateTable('service_key').set({ expires_at: 1 }).where('kid', '=', kid).execute();
    vi.advanceTimersByTime(55 * 60_000);
    await vi.waitFor(async () => expect(await expiry()).toBeGreaterThan(Date.now()), { timeout: 5000 });

    await replica.close();
    await t.db.updateTable('service_key').set({ expires_at: 1 }).where('kid', '=', kid).execute();
    vi.advanceTimersByTime(3 * 55 * 60_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await expiry()).toBe(1);
  });

  it('keeps keys valid longer than tokens live', async () => {
    const longLived = await createRegistryTokens({ ...t, config: { ...t.config, TOKEN_VALIDITY_LIFETIME_S: 4 * 3600 } });
    try {
      const kid = decodeProtectedHeader(await longLived.issue({ principal: ANONYMOUS }, [], AUDIENCE)).kid!;
      const row = await t.db.selectFrom('service_key').selectAll().where('kid', '=', kid).executeTakeFirstOrThrow();
      expect(row.expires_at! - row.created_at).toBeGreaterThan(4 * 3600 * 1000);
    } finally {
      await longLived.close();
    }
  });

  it('trusts a verified token for the cache window only', async () => {
    const carol = await createUser(t.db, t.config, { name: 'carol', password: 'carol-password' });
    const principal: Principal = { kind: 'user', id: carol.id, name: 'carol', superuser: false };
    const token = await tokens.issue({ principal: principal }, ACCESS, AUDIENCE);
    expect((await tokens.verify(token, AUDIENCE)).principal).toMatchObject({ name: 'carol' });
    await t.db.updateTable('namespace').set({ enabled: 0 }).where('id', '=', carol.id).execute();
    // Within the window the cached verification stands; a service without the cache refuses at once.
    expect((await tokens.verify(token, AUDIENCE)).principal).toMatchObject({ name: 'carol' });
    const uncached = await createRegistryTokens({ ...t, verifiedTokenCacheMs: 0 });
    try {
      await rejection(uncached.verify(token, AUDIENCE));
    } finally {
      await uncached.close();
    }
  });

  it('recomputes the principal from the database at verification', async () => {
    const tokens = await createRegistryTokens({ ...t, verifiedTokenCacheMs: 0 });
    const bob = await createUser(t.db, t.config, { name: 'bob', password: 'bob-password' });
    const bobPrincipal: Principal = { kind: 'user', id: bob.id, name: 'bob', superuser: false };
    const token = await tokens.issue({ principal: bobPrincipal }, ACCESS, AUDIENCE);

    await t.db.updateTable('namespace').set({ superuser: 1 }).where('id', '=', bob.id).execute();
    expect((await tokens.verify(token, AUDIENCE)).principal).toMatchObject({ name: 'bob', superuser: true });

    await t.db.updateTable('namespace').set({ enabled: 0 }).where('id', '=', bob.id).execute();
    await rejection(tokens.verify(token, AUDIENCE));

    // Deleted, and the name taken again by someone else: the old token must not speak for the new bob.
    await t.db.deleteFrom('namespace').where('id', '=', bob.id).execute();
    await rejection(tokens.verify(token, AUDIENCE));
    await createUser(t.db, t.config, { name: 'bob', password: 'new-bob-password' });
    await rejection(tokens.verify(token, AUDIENCE));
    await tokens.close();
  });

  it('does not put tokens or keys in error messages', async () => {
    const token = await tokens.issue({ principal: alice }, ACCESS, AUDIENCE);
    const err = await rejection(tokens.verify(flipSignature(token), 'other.example'));
    expect(err.message).not.toContain(token.split('.')[2]!.slice(0, 20));
    expect(err.message.length).toBeLessThan(60);
  });

  it('refuses to issue for a user that no longer exists', async () => {
    const ghost: Principal = { kind: 'user', id: 999_999, name: 'ghost', superuser: false };
    await rejection(tokens.issue({ principal: ghost }, [], AUDIENCE));
  });
});
