import { Attribute, Change } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authenticateBasic } from '../../src/auth/credentials.js';
import { LDAP_SERVICE, federatedIdentOf, findFederatedUser } from '../../src/model/federated-logins.js';
import { findNamespace } from '../../src/model/namespaces.js';
import { sessionClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { basicAuth, errorBody, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { ldapConfig, slapdAvailable, startSlapd, type TestSlapd, userDn } from '../helpers/slapd.js';

/** Sign-in through a real OpenLDAP server: /v2/ basic auth and the /v2/auth token endpoint. */

const RUN = slapdAvailable();

let slapd: TestSlapd;
beforeAll(async () => {
  if (RUN) slapd = await startSlapd();
});
afterAll(async () => {
  await slapd?.stop();
});

async function setMail(uid: string, mail: string): Promise<void> {
  await slapd.asAdmin((client) =>
    client.modify(userDn(uid), new Change({ operation: 'replace', modification: new Attribute({ type: 'mail', values: [mail] }) })),
  );
}

describe.skipIf(!RUN).each(testDialects())('LDAP sign-in (%s)', (dialect) => {
  let registry: TestRegistry;
  let v2: RegistryClient;

  beforeAll(async () => {
    registry = await startTestRegistry({
      dialect,
      overrides: ldapConfig(slapd, {
        LDAP_USER_FILTER: '(!(employeeType=suspended))',
        LDAP_SUPERUSER_FILTER: '(employeeType=admin)',
        FEATURE_USER_CREATION: true,
      }),
    });
    // A local account made before LDAP was turned on, holding the name an LDAP user will want.
    await registry.createUser('dave', 'local-dave-password', { email: 'dave.local@example.com' });
    v2 = new RegistryClient(registry.url);
  });
  afterAll(async () => {
    await registry?.close();
  });

  async function v2Status(username: string, password: string): Promise<number> {
    return (await v2.as(basicAuth(username, password)).get('/v2/')).status;
  }

  it('signs in on /v2/ with basic auth by uid, creating the account on first sign-in', async () => {
    expect(await findNamespace(registry.ctx.db, 'alice')).toBeUndefined();
    expect(await v2Status('alice', 'alice-password')).toBe(200);
    const alice = await findNamespace(registry.ctx.db, 'alice');
    expect(alice).toMatchObject({ kind: 'user', email: 'alice@example.org', enabled: 1, password_hash: null });
    expect(await federatedIdentOf(registry.ctx.db, LDAP_SERVICE, alice!.id)).toBe('alice');
  });

  it('signs in by e-mail address to the same account, without creating another', async () => {
    expect(await v2Status('alice@example.org', 'alice-password')).toBe(200);
    const rows = await registry.ctx.db.selectFrom('namespace').select('name').where('name', 'like', 'alice%').execute();
    expect(rows.map((r) => r.name)).toEqual(['alice']);
  });

  it('issues registry tokens on /v2/auth by uid and by e-mail', async () => {
    for (const login of ['bob', 'bob@example.org']) {
      const res = await v2.tokenRequest(['repository:bob/app:pull,push'], basicAuth(login, 'bob-password'));
      expect(res.status, res.describe()).toBe(200);
      expect(typeof (res.json() as { token?: unknown }).token).toBe('string');
    }
    expect((await v2.tokenRequest([], basicAuth('bob', 'wrong-password'))).status).toBe(401);
    expect(await findNamespace(registry.ctx.db, 'bob')).toMatchObject({ kind: 'user', email: 'bob@example.org' });
  });

  it('refuses a wrong password, an unknown user and an empty password with 401', async () => {
    const wrong = await v2.as(basicAuth('alice', 'not-her-password')).get('/v2/');
    const unknown = await v2.as(basicAuth('nobody', 'whatever-password')).get('/v2/');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    // Same answer whether the user exists or not.
    expect(errorBody(wrong)?.errors[0]?.message).toBe(errorBody(unknown)?.errors[0]?.message);
    expect(await v2Status('alice', '')).toBe(401);
    expect(await v2Status('bob@example.org', '')).toBe(401);
  });

  it('refuses an empty password in the directory itself (no anonymous bind)', async () => {
    await expect(registry.ctx.directory!.verifyAndLink('alice', '')).rejects.toThrow('invalid username or password');
  });

  it('names the account alice-1 style when the uid is taken by a local account', async () => {
    expect(await v2Status('dave', 'dave-password')).toBe(200);
    const linked = await findFederatedUser(registry.ctx.db, LDAP_SERVICE, 'dave');
    expect(linked?.name).toBe('dave-1');
    // The local dave is untouched, and its database password no longer signs in: LDAP decides.
    expect(await findNamespace(registry.ctx.db, 'dave')).toMatchObject({ email: 'dave.local@example.com' });
    expect(await v2Status('dave', 'local-dave-password')).toBe(401);
    // Signing in again uses the linked account rather than making dave-2.
    expect(await v2Status('dave', 'dave-password')).toBe(200);
    expect(await findNamespace(registry.ctx.db, 'dave-2')).toBeUndefined();
  });

  it('finds users in a secondary user RDN (subtree search)', async () => {
    expect(await v2Status('carol', 'carol-password')).toBe(200);
    expect(await findFederatedUser(registry.ctx.db, LDAP_SERVICE, 'carol')).toMatchObject({ name: 'carol' });
  });

  it('refuses users that LDAP_USER_FILTER excludes, even with the right password', async () => {
    expect(await v2Status('mallory', 'mallory-password')).toBe(401);
    expect(await findNamespace(registry.ctx.db, 'mallory')).toBeUndefined();
  });

  it('refuses an e-mail address shared by two entries, but signs in by uid', async () => {
    expect(await v2Status('twin@example.org', 'twin-password')).toBe(401);
    expect(await v2Status('twin1', 'twin-password')).toBe(200);
  });

  it('refuses to create an account whose e-mail address another account already has', async () => {
    // twin1 (signed in above) holds twin@example.org.
    const res = await v2.as(basicAuth('twin2', 'twin-password')).get('/v2/');
    expect(res.status).toBe(401);
    expect(res.text()).toContain('already used by another account');
    expect(await findNamespace(registry.ctx.db, 'twin2')).toBeUndefined();
  });

  it('creates one account when the first sign-ins of a user race each other', async () => {
    expect(await findNamespace(registry.ctx.db, 'sam')).toBeUndefined();
    const statuses = await Promise.all(Array.from({ length: 6 }, () => v2Status('sam', 'sam-password')));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    const rows = await registry.ctx.db.selectFrom('namespace').select('name').where('name', 'like', 'sam%').execute();
    expect(rows.map((r) => r.name)).toEqual(['sam']);
  });

  it('derives a valid namespace name from a uid with capitals', async () => {
    expect(await v2Status('Frank.Smith', 'frank-password')).toBe(200);
    expect(await findFederatedUser(registry.ctx.db, LDAP_SERVICE, 'Frank.Smith')).toMatchObject({ name: 'frank.smith' });
  });

  it('keeps the e-mail address in step with the directory', async () => {
    await setMail('alice', 'alice.new@example.org');
    try {
      expect(await v2Status('alice', 'alice-password')).toBe(200);
      expect(await findNamespace(registry.ctx.db, 'alice')).toMatchObject({ email: 'alice.new@example.org' });
    } finally {
      await setMail('alice', 'alice@example.org');
    }
    expect(await v2Status('alice', 'alice-password')).toBe(200);
    expect(await findNamespace(registry.ctx.db, 'alice')).toMatchObject({ email: 'alice@example.org' });
  });

  it('makes users matching LDAP_SUPERUSER_FILTER superusers, and no one else', async () => {
    const sam = await authenticateBasic(registry.ctx, 'sam', 'sam-password');
    const alice = await authenticateBasic(registry.ctx, 'alice', 'alice-password');
    expect(sam.principal).toMatchObject({ kind: 'user', name: 'sam', superuser: true });
    expect(alice.principal).toMatchObject({ kind: 'user', name: 'alice', superuser: false });
    expect(sam.credential).toBe('ldap');
  });

  it('treats directory superusers as superusers on the API too: sessions, and the superuser user list', async () => {
    expect(await v2Status('sam', 'sam-password')).toBe(200);
    expect(await v2Status('alice', 'alice-password')).toBe(200);
    const sam = await sessionClient(registry, 'sam');
    const list = await sam.get('/api/v1/superuser/users/');
    expect(list.status, list.describe()).toBe(200);
    const flags = Object.fromEntries(list.body.users.map((u: { username: string; super_user: boolean }) => [u.username, u.super_user]));
    expect(flags).toMatchObject({ sam: true, alice: false });
    // Another superuser cannot disable a directory superuser, as with any superuser.
    const refused = await sam.put('/api/v1/superuser/users/sam', { enabled: false });
    expect(refused.status, refused.describe()).toBe(400);
    const alice = await sessionClient(registry, 'alice');
    expect((await alice.get('/api/v1/superuser/users/')).status).toBe(403);
  });

  it('refuses a linked account that has been disabled', async () => {
    await v2Status('bob', 'bob-password');
    await registry.ctx.db.updateTable('namespace').set({ enabled: 0 }).where('name', '=', 'bob').execute();
    try {
      expect(await v2Status('bob', 'bob-password')).toBe(401);
    } finally {
      await registry.ctx.db.updateTable('namespace').set({ enabled: 1 }).where('name', '=', 'bob').execute();
    }
  });

  it('does not offer team syncing while FEATURE_TEAM_SYNCING is off', async () => {
    const api = await sessionClient(registry, 'alice');
    const res = await api.post('/api/v1/organization/any/team/any/syncing', { group_dn: 'cn=devs,ou=groups' });
    expect(res.status, res.describe()).toBe(404);
  });
});

describe.skipIf(!RUN).each(testDialects())('LDAP sign-in without FEATURE_USER_CREATION (%s)', (dialect) => {
  let registry: TestRegistry;
  let v2: RegistryClient;

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect, overrides: ldapConfig(slapd, { FEATURE_USER_CREATION: false }) });
    v2 = new RegistryClient(registry.url);
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('refuses a directory user who has no account yet, and creates none', async () => {
    const res = await v2.as(basicAuth('alice', 'alice-password')).get('/v2/');
    expect(res.status).toBe(401);
    expect(res.text()).toContain('User creation is disabled');
    expect(await findNamespace(registry.ctx.db, 'alice')).toBeUndefined();
    await expect(registry.ctx.directory!.verifyAndLink('alice', 'alice-password')).rejects.toThrow('User creation is disabled');
  });

  it('still signs in a directory user whose account is already linked', async () => {
    await registry.createUser('bob', 'placeholder-password', { email: 'bob@example.org' });
    const bob = await findNamespace(registry.ctx.db, 'bob');
    await registry.ctx.db
      .insertInto('federated_login')
      .values({ user_id: bob!.id, service: LDAP_SERVICE, service_ident: 'bob' })
      .execute();
    expect((await v2.as(basicAuth('bob', 'bob-password')).get('/v2/')).status).toBe(200);
    expect((await v2.as(basicAuth('bob', 'wrong-password')).get('/v2/')).status).toBe(401);
  });
});
