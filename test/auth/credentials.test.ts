import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateBasic, parseBasicAuthorization } from '../../src/auth/credentials.js';
import { Unauthorized } from '../../src/errors.js';
import { createAccessToken, createOAuthApplication, verifyAccessToken } from '../../src/model/oauth-tokens.js';
import { createUser } from '../../src/model/users.js';
import { testDialects } from '../helpers/databases.js';
import { basicAuth, openTestDatabase, type TestDatabase } from './support.js';

describe('parseBasicAuthorization', () => {
  it('decodes username and password', () => {
    expect(parseBasicAuthorization(basicAuth('alice', 'pw'))).toEqual({ username: 'alice', password: 'pw' });
  });

  it('splits at the first colon only: passwords may contain colons', () => {
    expect(parseBasicAuthorization(basicAuth('alice', 'a:b::c'))).toEqual({ username: 'alice', password: 'a:b::c' });
  });

  it('accepts any case of the scheme and non-ASCII passwords', () => {
    const encoded = Buffer.from('bob:pässwörd', 'utf8').toString('base64');
    expect(parseBasicAuthorization(`basic ${encoded}`)).toEqual({ username: 'bob', password: 'pässwörd' });
  });

  it.each([
    ['no header', undefined],
    ['another scheme', 'Bearer abc.def.ghi'],
    ['no colon', `Basic ${Buffer.from('alice').toString('base64')}`],
    ['an empty username', `Basic ${Buffer.from(':pw').toString('base64')}`],
    ['garbage', 'Basic !!!'],
    ['a bare scheme', 'Basic'],
  ])('returns undefined for %s', (_label, header) => {
    expect(parseBasicAuthorization(header)).toBeUndefined();
  });
});

describe.each(testDialects())('authenticateBasic (%s)', (dialect) => {
  let t: TestDatabase;
  let oauthToken: string;
  let expiredToken: string;
  let carolToken: string;

  beforeAll(async () => {
    t = await openTestDatabase(dialect, { SUPER_USERS: ['root'] });
    const alice = await createUser(t.db, t.config, { name: 'alice', password: 'alice-password' });
    await createUser(t.db, t.config, { name: 'root', password: 'root-password' });
    const carol = await createUser(t.db, t.config, { name: 'carol', password: 'carol-password' });
    await t.db.updateTable('namespace').set({ enabled: 0 }).where('id', '=', carol.id).execute();
    const app = await createOAuthApplication(t.db, { namespaceId: alice.id, name: 'automation' });
    ({ token: oauthToken } = await createAccessToken(t.db, {
      applicationId: app.id,
      userId: alice.id,
      scopes: ['repo:read', 'user:admin'],
      expiresInS: null,
    }));
    ({ token: expiredToken } = await createAccessToken(t.db, {
      applicationId: app.id,
      userId: alice.id,
      scopes: ['repo:read'],
      expiresInS: -1,
    }));
    const carolApp = await createOAuthApplication(t.db, { namespaceId: carol.id, name: 'automation' });
    ({ token: carolToken } = await createAccessToken(t.db, {
      applicationId: carolApp.id,
      userId: carol.id,
      scopes: ['repo:read'],
      expiresInS: 3600,
    }));
  });
  afterAll(async () => {
    await t.close();
  });

  it('accepts a user with the right password', async () => {
    const { principal } = await authenticateBasic(t, 'alice', 'alice-password');
    expect(principal).toMatchObject({ kind: 'user', name: 'alice', superuser: false });
  });

  it('marks users listed in SUPER_USERS as superusers', async () => {
    expect((await authenticateBasic(t, 'root', 'root-password')).principal).toMatchObject({ name: 'root', superuser: true });
  });

  it('gives the same answer for a wrong password and an unknown user', async () => {
    // Both checks run at once, each with its rejection handled from the start.
    await Promise.all([
      expect(authenticateBasic(t, 'alice', 'not-the-password')).rejects.toThrow(new Unauthorized('invalid username or password')),
      expect(authenticateBasic(t, 'mallory', 'alice-password')).rejects.toThrow(new Unauthorized('invalid username or password')),
    ]);
  });

  it('rejects empty credentials', async () => {
    await expect(authenticateBasic(t, 'alice', '')).rejects.toBeInstanceOf(Unauthorized);
    await expect(authenticateBasic(t, '', 'alice-password')).rejects.toBeInstanceOf(Unauthorized);
  });

  it('rejects a disabled user even with the right password', async () => {
    await expect(authenticateBasic(t, 'carol', 'carol-password')).rejects.toThrow(/disabled/);
    await expect(authenticateBasic(t, 'carol', 'wrong-password')).rejects.toThrow('invalid username or password');
  });

  it('accepts $oauthtoken with a valid access token as the token user', async () => {
    expect(oauthToken).toMatch(/^[A-Za-z0-9]{80}$/);
    const { principal, scopes } = await authenticateBasic(t, '$oauthtoken', oauthToken);
    expect(scopes?.has('repo:read')).toBe(true);
    expect(principal).toMatchObject({ kind: 'user', name: 'alice' });
  });

  it('never stores the token secret', async () => {
    const rows = await t.db.selectFrom('oauth_access_token').selectAll().execute();
    for (const row of rows) {
      expect(JSON.stringify(row)).not.toContain(oauthToken.slice(40));
      expect(row.token_secret_hash).toMatch(/^[0-9a-f]{64}$/);
    }
  });

  it('rejects expired, altered and unknown access tokens, and tokens of disabled users', async () => {
    for (const token of [
      expiredToken,
      `${oauthToken.slice(0, 79)}${oauthToken.endsWith('A') ? 'B' : 'A'}`,
      'A'.repeat(80),
      oauthToken.slice(0, 40),
      carolToken,
    ]) {
      await expect(authenticateBasic(t, '$oauthtoken', token)).rejects.toThrow('invalid OAuth access token');
    }
  });

  it('does not accept an access token as a password for the user', async () => {
    await expect(authenticateBasic(t, 'alice', oauthToken)).rejects.toBeInstanceOf(Unauthorized);
  });

  it('reports the scopes of an access token', async () => {
    const verified = await verifyAccessToken(t.db, oauthToken);
    expect(verified?.user.name).toBe('alice');
    expect(verified?.scopes).toEqual(['repo:read', 'user:admin']);
    expect(await verifyAccessToken(t.db, expiredToken)).toBeUndefined();
  });
});
