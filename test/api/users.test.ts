import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../src/api/authenticate.js';
import { createAppToken } from '../../src/model/app-tokens.js';
import { findNamespace, findNamespaceById } from '../../src/model/namespaces.js';
import { createOrganization } from '../../src/model/organizations.js';
import { createRobot } from '../../src/model/robots.js';
import { ApiClient, type ApiResponse, anonymousClient, expectApiError, sessionClient, tokenClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { v2Status } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** The signed-in user's account: /api/v1/user/ (create, view, change, delete) and /api/v1/users/{name}. */

/** A client for the session the response just started (account creation or sign-in). */
function clientFromSignin(registry: TestRegistry, res: ApiResponse): ApiClient {
  const cookie = /quayside_session=([^;]*)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  const csrf = res.headers.get('x-next-csrf-token');
  if (!cookie || !csrf) throw new Error(`no session in ${res.describe()}`);
  return new ApiClient(registry.url, { session: { cookie, csrf } });
}

async function sessionRowId(registry: TestRegistry, client: ApiClient): Promise<number> {
  const auth = client.auth;
  if (!auth || !('session' in auth)) throw new Error('not a session client');
  const row = await registry.ctx.db
    .selectFrom('user_session')
    .select('id')
    .where('token_name', '=', auth.session.cookie.split('.')[0]!)
    .executeTakeFirstOrThrow();
  return row.id;
}

async function ageLogin(registry: TestRegistry, client: ApiClient, minutes: number): Promise<void> {
  const id = await sessionRowId(registry, client);
  const loginAt = Date.now() - minutes * 60_000;
  await registry.ctx.db.updateTable('user_session').set({ login_at: loginAt }).where('id', '=', id).execute();
}

async function createInvite(registry: TestRegistry, organization: string, inviterName: string, token: string) {
  const org = await findNamespace(registry.ctx.db, organization);
  const inviter = await findNamespace(registry.ctx.db, inviterName);
  const team = await registry.ctx.db
    .selectFrom('team')
    .select('id')
    .where('organization_id', '=', org!.id)
    .where('name', '=', 'owners')
    .executeTakeFirstOrThrow();
  await registry.ctx.db
    .insertInto('team_invite')
    .values({ team_id: team.id, user_id: null, email: 'guest@example.com', inviter_id: inviter!.id, token, created_at: Date.now() })
    .execute();
  return team.id;
}

/** Asserts that no response text carries any of these passwords. */
function expectNoPassword(res: ApiResponse, ...passwords: string[]): void {
  const text = `${JSON.stringify(res.body ?? '')} ${JSON.stringify([...res.headers.entries()])}`;
  for (const password of passwords) expect(text).not.toContain(password);
}

describe.each(testDialects())('user accounts API (%s)', (dialect) => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect, overrides: { TAG_EXPIRATION_OPTIONS: ['0s', '1d', '2w'] } });
    await registry.createUser('alice', 'alice-password', { email: 'alice@example.com' });
    await registry.createUser('bob', 'bob-password', { email: 'bob@example.com' });
  });
  afterAll(async () => {
    await registry?.close();
  });

  describe('POST /api/v1/user/ (create an account)', () => {
    it('creates the account, signs it in and answers with the user view', async () => {
      const res = await anonymousClient(registry).post('/api/v1/user/', {
        username: 'carol',
        password: 'carol-password',
        email: 'carol@example.com',
      });
      expect(res.status, res.describe()).toBe(200);
      expect(res.body).toMatchObject({ anonymous: false, username: 'carol', email: 'carol@example.com', verified: true });
      expectNoPassword(res, 'carol-password');
      const setCookie = res.headers.get('set-cookie') ?? '';
      expect(setCookie).toContain(`${SESSION_COOKIE}=`);
      expect(setCookie).toMatch(/HttpOnly/);
      const carol = clientFromSignin(registry, res);
      const me = await carol.get('/api/v1/user/');
      expect(me.status, me.describe()).toBe(200);
      expect(me.body.username).toBe('carol');
      expect(await v2Status(registry, 'carol', 'carol-password')).toBe(200);
    });

    it('refuses a taken name, a taken e-mail address, a short password and a bad name with 400', async () => {
      const anonymous = anonymousClient(registry);
      expectApiError(await anonymous.post('/api/v1/user/', { username: 'alice', password: 'whatever-123' }), 400);
      expectApiError(
        await anonymous.post('/api/v1/user/', { username: 'alice2', password: 'whatever-123', email: 'alice@example.com' }),
        400,
      );
      expectApiError(await anonymous.post('/api/v1/user/', { username: 'shorty', password: 'short' }), 400);
      expectApiError(await anonymous.post('/api/v1/user/', { username: 'Bad Name', password: 'whatever-123' }), 400);
      expectApiError(await anonymous.post('/api/v1/user/', { username: 'nopassword' }), 400);
      expect(await findNamespace(registry.ctx.db, 'alice2')).toBeUndefined();
      expect(await findNamespace(registry.ctx.db, 'shorty')).toBeUndefined();
    });
  });

  describe('GET /api/v1/user/', () => {
    it("shows the user's own view with organizations and admin rights", async () => {
      const alice = await findNamespace(registry.ctx.db, 'alice');
      await createOrganization(registry.ctx.db, registry.ctx.config, { name: 'alice-org', creatorId: alice!.id });
      const res = await (await sessionClient(registry, 'alice')).get('/api/v1/user/');
      expect(res.status, res.describe()).toBe(200);
      expect(res.body).toMatchObject({
        anonymous: false,
        username: 'alice',
        email: 'alice@example.com',
        verified: true,
        can_create_repo: true,
        invoice_email: false,
        preferred_namespace: false,
        tag_expiration_s: 1_209_600,
        prompts: [],
        logins: [],
        avatar: { name: 'alice', kind: 'user', hash: expect.any(String), color: expect.any(String) },
      });
      expect(res.body.organizations).toEqual([
        expect.objectContaining({ name: 'alice-org', is_org_admin: true, can_create_repo: true, public: false }),
      ]);
      expect(res.body).not.toHaveProperty('super_user');
      expectNoPassword(res, 'alice-password');
      expect(JSON.stringify(res.body)).not.toContain('password_hash');
    });

    it('lists federated logins', async () => {
      const bob = await findNamespace(registry.ctx.db, 'bob');
      await registry.ctx.db
        .insertInto('federated_login')
        .values({ user_id: bob!.id, service: 'ldap', service_ident: 'bob', metadata: '{"dn":"uid=bob"}' })
        .execute();
      const res = await (await sessionClient(registry, 'bob')).get('/api/v1/user/');
      expect(res.body.logins).toEqual([{ service: 'ldap', service_identifier: 'bob', metadata: { dn: 'uid=bob' } }]);
    });

    it('is 401 for anonymous callers', async () => {
      expectApiError(await anonymousClient(registry).get('/api/v1/user/'), 401);
    });

    it('needs user:read from an OAuth token, and shows private fields only with user:admin', async () => {
      expectApiError(await (await tokenClient(registry, 'alice', ['repo:read'])).get('/api/v1/user/'), 403);
      const reader = await (await tokenClient(registry, 'alice', ['user:read'])).get('/api/v1/user/');
      expect(reader.status, reader.describe()).toBe(200);
      expect(reader.body.username).toBe('alice');
      expect(reader.body).not.toHaveProperty('email');
      expect(reader.body.organizations).toHaveLength(1);
      const admin = await (await tokenClient(registry, 'alice', ['user:admin'])).get('/api/v1/user/');
      expect(admin.body.email).toBe('alice@example.com');
    });
  });

  describe('GET /api/v1/users/{username}', () => {
    it("shows only another user's name and avatar", async () => {
      const res = await (await sessionClient(registry, 'bob')).get('/api/v1/users/alice');
      expect(res.status, res.describe()).toBe(200);
      expect(res.body).toEqual({ anonymous: false, username: 'alice', avatar: expect.objectContaining({ name: 'alice' }) });
    });

    it('is 404 for unknown users, organizations and robots', async () => {
      const alice = await findNamespace(registry.ctx.db, 'alice');
      await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: alice!, shortname: 'builder' });
      const client = await sessionClient(registry, 'bob');
      const nobody = await client.get('/api/v1/users/nobody');
      expectApiError(nobody, 404);
      expect(nobody.body.error_type).toBe('not_found');
      expectApiError(await client.get('/api/v1/users/alice-org'), 404);
      expectApiError(await client.get('/api/v1/users/alice+builder'), 404);
    });
  });

  describe('PUT /api/v1/user/', () => {
    it('changes the e-mail address and the tag expiration window', async () => {
      const client = await sessionClient(registry, 'bob');
      const res = await client.put('/api/v1/user/', { email: 'robert@example.com', tag_expiration_s: 86_400 });
      expect(res.status, res.describe()).toBe(200);
      expect(res.body).toMatchObject({ email: 'robert@example.com', tag_expiration_s: 86_400 });
      expect((await findNamespace(registry.ctx.db, 'bob'))?.removed_tag_expiration_s).toBe(86_400);
    });

    it('refuses an e-mail address used by another account, a bad address and an unlisted expiration', async () => {
      const client = await sessionClient(registry, 'bob');
      expectApiError(await client.put('/api/v1/user/', { email: 'alice@example.com' }), 400);
      expectApiError(await client.put('/api/v1/user/', { email: 'not an address' }), 400);
      expectApiError(await client.put('/api/v1/user/', { tag_expiration_s: 3600 }), 400);
      expectApiError(await client.put('/api/v1/user/', { tag_expiration_s: 'soon' }), 400);
      expect((await findNamespace(registry.ctx.db, 'bob'))?.email).toBe('robert@example.com');
    });

    it('changes the password and signs out the other sessions', async () => {
      await registry.createUser('dave', 'dave-password');
      const current = await sessionClient(registry, 'dave');
      const other = await sessionClient(registry, 'dave');
      const res = await current.put('/api/v1/user/', { password: 'dave-new-password' });
      expect(res.status, res.describe()).toBe(200);
      expectNoPassword(res, 'dave-password', 'dave-new-password');
      expect((await current.get('/api/v1/user/')).status).toBe(200);
      expectApiError(await other.get('/api/v1/user/'), 401);
      expect(await v2Status(registry, 'dave', 'dave-password')).toBe(401);
      expect(await v2Status(registry, 'dave', 'dave-new-password')).toBe(200);
    });

    it('refuses a password that is too short, changing nothing', async () => {
      const client = await sessionClient(registry, 'dave');
      expectApiError(await client.put('/api/v1/user/', { password: 'short', tag_expiration_s: 0 }), 400);
      expect((await findNamespace(registry.ctx.db, 'dave'))?.removed_tag_expiration_s).toBe(1_209_600);
    });

    it('requires a fresh login: a session that signed in long ago gets 401 fresh_login_required', async () => {
      const client = await sessionClient(registry, 'dave');
      await ageLogin(registry, client, 11);
      const refused = await client.put('/api/v1/user/', { password: 'dave-third-password' });
      expectApiError(refused, 401);
      expect(refused.body.error_type).toBe('fresh_login_required');
      expect(await v2Status(registry, 'dave', 'dave-new-password')).toBe(200);

      const verified = await client.post('/api/v1/signin/verify', { password: 'dave-new-password' });
      expect(verified.status, verified.describe()).toBe(200);
      const res = await client.put('/api/v1/user/', { password: 'dave-third-password' });
      expect(res.status, res.describe()).toBe(200);
      expect(await v2Status(registry, 'dave', 'dave-third-password')).toBe(200);
    });

    it('lets an OAuth token with user:admin skip the fresh login, but not one with user:read', async () => {
      const reader = await tokenClient(registry, 'dave', ['user:read']);
      expectApiError(await reader.put('/api/v1/user/', { tag_expiration_s: 0 }), 403);
      const admin = await tokenClient(registry, 'dave', ['user:admin']);
      const res = await admin.put('/api/v1/user/', { tag_expiration_s: 0 });
      expect(res.status, res.describe()).toBe(200);
      expect(res.body.tag_expiration_s).toBe(0);
    });

    it('is 401 for anonymous callers', async () => {
      expectApiError(await anonymousClient(registry).put('/api/v1/user/', { tag_expiration_s: 0 }), 401);
    });
  });

  describe('DELETE /api/v1/user/', () => {
    it('renames and disables the namespace, ends its credentials, queues its cleanup and frees the name', async () => {
      await registry.createUser('erin', 'erin-password', { email: 'erin@example.com' });
      const erinRow = await findNamespace(registry.ctx.db, 'erin');
      await createAppToken(registry.ctx.db, registry.ctx.secrets, { userId: erinRow!.id, title: 'ci', expiresInS: null });
      const token = await tokenClient(registry, 'erin', ['user:read']);
      const client = await sessionClient(registry, 'erin');

      const res = await client.delete('/api/v1/user/');
      expect(res.status, res.describe()).toBe(204);
      expect(res.headers.get('set-cookie')).toMatch(/Max-Age=0/);

      const row = await findNamespaceById(registry.ctx.db, erinRow!.id);
      expect(row).toMatchObject({ enabled: 0, email: null });
      expect(row!.name).toMatch(/^deleted~/);
      expect(row!.deleted_at).not.toBeNull();
      const queued = await registry.ctx.db
        .selectFrom('queue_item')
        .select('body')
        .where('queue_name', '=', 'namespacegc')
        .execute();
      expect(queued.map((q) => JSON.parse(q.body).namespace_id)).toContain(erinRow!.id);
      const tokens = await registry.ctx.db.selectFrom('app_token').select('id').where('user_id', '=', erinRow!.id).execute();
      expect(tokens).toHaveLength(0);

      expectApiError(await client.get('/api/v1/user/'), 401);
      expectApiError(await token.get('/api/v1/user/'), 401);
      expect(await v2Status(registry, 'erin', 'erin-password')).toBe(401);
      // Nor is the deleted account reachable under its new name.
      expect(row!.password_hash).toBeNull();
      expect(await v2Status(registry, row!.name, 'erin-password')).toBe(401);
      expectApiError(await anonymousClient(registry).get(`/api/v1/users/${encodeURIComponent(row!.name)}`), 404);

      const again = await anonymousClient(registry).post('/api/v1/user/', {
        username: 'erin',
        password: 'another-erin-password',
        email: 'erin@example.com',
      });
      expect(again.status, again.describe()).toBe(200);
      expect((await findNamespace(registry.ctx.db, 'erin'))!.id).not.toBe(erinRow!.id);
    });

    it("refuses to delete the only administrator of an organization, and allows it once there's another", async () => {
      await registry.createUser('frank', 'frank-password');
      const frank = await findNamespace(registry.ctx.db, 'frank');
      const org = await createOrganization(registry.ctx.db, registry.ctx.config, { name: 'frank-org', creatorId: frank!.id });
      const client = await sessionClient(registry, 'frank');
      const refused = await client.delete('/api/v1/user/');
      expectApiError(refused, 400);
      expect(refused.body.error_message).toContain('frank-org');
      expect((await findNamespace(registry.ctx.db, 'frank'))?.enabled).toBe(1);

      const bob = await findNamespace(registry.ctx.db, 'bob');
      const owners = await registry.ctx.db
        .selectFrom('team')
        .select('id')
        .where('organization_id', '=', org.id)
        .executeTakeFirstOrThrow();
      await registry.ctx.db.insertInto('team_member').values({ team_id: owners.id, member_id: bob!.id }).execute();
      expect((await client.delete('/api/v1/user/')).status).toBe(204);
      expect(await findNamespace(registry.ctx.db, 'frank')).toBeUndefined();
      const members = await registry.ctx.db.selectFrom('team_member').select('member_id').where('team_id', '=', owners.id).execute();
      expect(members.map((m) => m.member_id)).toEqual([bob!.id]);
    });

    it('needs a fresh login, and user:admin from an OAuth token', async () => {
      await registry.createUser('gina', 'gina-password');
      const stale = await sessionClient(registry, 'gina');
      await ageLogin(registry, stale, 30);
      const staleDelete = await stale.delete('/api/v1/user/');
      expectApiError(staleDelete, 401);
      expect(staleDelete.body.error_type).toBe('fresh_login_required');
      expectApiError(await (await tokenClient(registry, 'gina', ['user:read'])).delete('/api/v1/user/'), 403);
      expectApiError(await anonymousClient(registry).delete('/api/v1/user/'), 401);
      expect((await findNamespace(registry.ctx.db, 'gina'))?.enabled).toBe(1);
      expect((await (await tokenClient(registry, 'gina', ['user:admin'])).delete('/api/v1/user/')).status).toBe(204);
      expect(await findNamespace(registry.ctx.db, 'gina')).toBeUndefined();
    });
  });
});

describe.each(testDialects())('account creation flags (%s)', (dialect) => {
  it('FEATURE_USER_CREATION false refuses new accounts with 403', async () => {
    const registry = await startTestRegistry({ dialect, overrides: { FEATURE_USER_CREATION: false } });
    try {
      const res = await anonymousClient(registry).post('/api/v1/user/', { username: 'nora', password: 'nora-password' });
      expectApiError(res, 403);
      expect(await findNamespace(registry.ctx.db, 'nora')).toBeUndefined();
    } finally {
      await registry.close();
    }
  });

  it('FEATURE_INVITE_ONLY_USER_CREATION needs a pending invitation, joins its team and uses it up', async () => {
    const registry = await startTestRegistry({ dialect, overrides: { FEATURE_INVITE_ONLY_USER_CREATION: true } });
    try {
      await registry.createUser('owner', 'owner-password');
      const owner = await findNamespace(registry.ctx.db, 'owner');
      await createOrganization(registry.ctx.db, registry.ctx.config, { name: 'crew', creatorId: owner!.id });
      const teamId = await createInvite(registry, 'crew', 'owner', 'invite-token-1');
      const anonymous = anonymousClient(registry);

      const uninvited = await anonymous.post('/api/v1/user/', { username: 'guest', password: 'guest-password' });
      expectApiError(uninvited, 400);
      expect(uninvited.body.error_message).toBe('an invitation is required to create an account');
      expectApiError(
        await anonymous.post('/api/v1/user/', { username: 'guest', password: 'guest-password', invite_code: 'wrong' }),
        400,
      );
      expect(await findNamespace(registry.ctx.db, 'guest')).toBeUndefined();

      const res = await anonymous.post('/api/v1/user/', {
        username: 'guest',
        password: 'guest-password',
        invite_code: 'invite-token-1',
      });
      expect(res.status, res.describe()).toBe(200);
      expect(res.body.organizations).toEqual([expect.objectContaining({ name: 'crew', is_org_admin: true })]);
      const guest = await findNamespace(registry.ctx.db, 'guest');
      const membership = await registry.ctx.db
        .selectFrom('team_member')
        .select('team_id')
        .where('member_id', '=', guest!.id)
        .execute();
      expect(membership).toEqual([{ team_id: teamId }]);
      const invites = await registry.ctx.db.selectFrom('team_invite').select('id').execute();
      expect(invites).toHaveLength(0);

      const reused = await anonymous.post('/api/v1/user/', {
        username: 'guest2',
        password: 'guest-password',
        invite_code: 'invite-token-1',
      });
      expectApiError(reused, 400);
      expect(await findNamespace(registry.ctx.db, 'guest2')).toBeUndefined();
    } finally {
      await registry.close();
    }
  });
});
