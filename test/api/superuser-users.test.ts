import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNamespace, findNamespaceById } from '../../src/model/namespaces.js';
import { createOrganization } from '../../src/model/organizations.js';
import { type ApiClient, anonymousClient, expectStatus, sessionClient, tokenClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { v2Status } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** Superuser user management: /api/v1/superuser/users/ and /api/v1/superuser/users/{username}. */

describe.each(testDialects())('superuser user management (%s)', (dialect) => {
  let registry: TestRegistry;
  let root: ApiClient;
  let admin: ApiClient;
  let alice: ApiClient;
  let auditor: ApiClient;

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect, overrides: { SUPER_USERS: ['root'], GLOBAL_READONLY_SUPER_USERS: ['auditor'] } });
    await registry.createUser('root', 'root-password', { email: 'root@example.com' });
    await registry.createUser('admin', 'admin-password', { superuser: true });
    await registry.createUser('alice', 'alice-password', { email: 'alice@example.com' });
    await registry.createUser('bob', 'bob-password', { email: 'bob@example.com' });
    await registry.createUser('auditor', 'auditor-password');
    root = await sessionClient(registry, 'root');
    auditor = await sessionClient(registry, 'auditor');
    admin = await sessionClient(registry, 'admin');
    alice = await sessionClient(registry, 'alice');
  });
  afterAll(async () => {
    await registry?.close();
  });

  describe('who may call', () => {
    it.each([
      ['GET', '/api/v1/superuser/users/'],
      ['POST', '/api/v1/superuser/users/'],
      ['GET', '/api/v1/superuser/users/bob'],
      ['PUT', '/api/v1/superuser/users/bob'],
      ['DELETE', '/api/v1/superuser/users/bob'],
    ])('%s %s: 401 anonymous, 403 for a normal user or a token without super:user', async (method, path) => {
      const body = method === 'POST' ? { username: 'intruder' } : method === 'PUT' ? { enabled: false } : undefined;
      expectStatus(await anonymousClient(registry).request(method, path, body), 401);
      expectStatus(await alice.request(method, path, body), 403);
      const token = await tokenClient(registry, 'root', ['user:admin']);
      expectStatus(await token.request(method, path, body), 403);
      expect(await findNamespace(registry.ctx.db, 'intruder')).toBeUndefined();
      expect((await findNamespace(registry.ctx.db, 'bob'))?.enabled).toBe(1);
    });

    it('a superuser from SUPER_USERS, a stored superuser and a super:user token may list users', async () => {
      for (const client of [root, admin, await tokenClient(registry, 'root', ['super:user'])]) {
        const res = await client.get('/api/v1/superuser/users/');
        expectStatus(res, 200);
        expect(res.body.users.map((u: { username: string }) => u.username)).toEqual(
          expect.arrayContaining(['admin', 'alice', 'bob', 'root']),
        );
      }
    });

    it('a global read-only superuser may list and view users but change nothing (403)', async () => {
      const list = await auditor.get('/api/v1/superuser/users/');
      expectStatus(list, 200);
      expect(list.body.users.map((u: { username: string }) => u.username)).toEqual(expect.arrayContaining(['alice', 'bob', 'root']));
      const bob = await auditor.get('/api/v1/superuser/users/bob');
      expectStatus(bob, 200);
      expect(bob.body).toMatchObject({ username: 'bob', email: 'bob@example.com', super_user: false });
      expectStatus(await auditor.get('/api/v1/superuser/users/nobody'), 404);
      expectStatus(await (await tokenClient(registry, 'auditor', ['super:user'])).get('/api/v1/superuser/users/'), 200);
      expectStatus(await (await tokenClient(registry, 'auditor', ['user:admin'])).get('/api/v1/superuser/users/'), 403);

      expectStatus(await auditor.post('/api/v1/superuser/users/', { username: 'auditor-made' }), 403);
      expectStatus(await auditor.put('/api/v1/superuser/users/bob', { enabled: false }), 403);
      expectStatus(await auditor.delete('/api/v1/superuser/users/bob'), 403);
      expect(await findNamespace(registry.ctx.db, 'auditor-made')).toBeUndefined();
      expect((await findNamespace(registry.ctx.db, 'bob'))?.enabled).toBe(1);
    });

    it('a superuser session that signed in long ago needs a fresh login', async () => {
      const stale = await sessionClient(registry, 'root');
      const auth = stale.auth as { session: { cookie: string } };
      await registry.ctx.db
        .updateTable('user_session')
        .set({ login_at: Date.now() - 3_600_000 })
        .where('token_name', '=', auth.session.cookie.split('.')[0]!)
        .execute();
      const res = await stale.get('/api/v1/superuser/users/');
      expectStatus(res, 401);
      expect(res.body.error_type).toBe('fresh_login_required');
    });
  });

  describe('listing and viewing', () => {
    it("marks super_user in a superuser's own view, and false on others they look at", async () => {
      expect((await root.get('/api/v1/user/')).body.super_user).toBe(true);
      const other = await root.get('/api/v1/users/bob');
      expectStatus(other, 200);
      expect(other.body).toMatchObject({ username: 'bob', super_user: false });
      expect(other.body).not.toHaveProperty('email');
      expect((await alice.get('/api/v1/users/bob')).body).not.toHaveProperty('super_user');
    });

    it('shows Quay superuser views without secrets', async () => {
      const res = await root.get('/api/v1/superuser/users/');
      const rootView = res.body.users.find((u: { username: string }) => u.username === 'root');
      expect(rootView).toEqual({
        kind: 'user',
        name: 'root',
        username: 'root',
        email: 'root@example.com',
        verified: true,
        avatar: expect.objectContaining({ name: 'root', kind: 'user' }),
        super_user: true,
        enabled: true,
      });
      expect(res.body.users.find((u: { username: string }) => u.username === 'alice').super_user).toBe(false);
      for (const secret of ['root-password', 'alice-password', 'password_hash', '$2']) {
        expect(JSON.stringify(res.body)).not.toContain(secret);
      }
    });

    it('lists neither organizations nor robots, and hides disabled users with ?disabled=false', async () => {
      const aliceRow = await findNamespace(registry.ctx.db, 'alice');
      await createOrganization(registry.ctx.db, registry.ctx.config, { name: 'alice-org', creatorId: aliceRow!.id });
      await registry.createUser('sleepy', 'sleepy-password');
      await registry.ctx.db.updateTable('namespace').set({ enabled: 0 }).where('name', '=', 'sleepy').execute();
      const all = (await root.get('/api/v1/superuser/users/')).body.users.map((u: { username: string }) => u.username);
      expect(all).toContain('sleepy');
      expect(all).not.toContain('alice-org');
      const enabled = await root.get('/api/v1/superuser/users/?disabled=false');
      expectStatus(enabled, 200);
      expect(enabled.body.users.map((u: { username: string }) => u.username)).not.toContain('sleepy');
    });

    it('GET one user: the view, or 404 for unknown names and organizations', async () => {
      const res = await root.get('/api/v1/superuser/users/bob');
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ username: 'bob', email: 'bob@example.com', enabled: true, super_user: false });
      expectStatus(await root.get('/api/v1/superuser/users/nobody'), 404);
      expectStatus(await root.get('/api/v1/superuser/users/alice-org'), 404);
    });
  });

  describe('paging', () => {
    const usernames = (res: { body: { users: { username: string }[] } }) => res.body.users.map((u) => u.username);

    beforeAll(async () => {
      await registry.createUser('paged-off', 'paged-password');
      await registry.ctx.db.updateTable('namespace').set({ enabled: 0 }).where('name', '=', 'paged-off').execute();
    });

    it('answers every user without a limit, and no next_page', async () => {
      const res = await root.get('/api/v1/superuser/users/');
      expectStatus(res, 200);
      expect(res.body).not.toHaveProperty('next_page');
      expect(usernames(res)).toEqual(expect.arrayContaining(['admin', 'alice', 'auditor', 'bob', 'paged-off', 'root']));
    });

    it.each([['all users', ''], ['enabled users', '&disabled=false']])(
      'pages %s with limit and next_page until each has been seen once',
      async (_what, filter) => {
        const everyone = usernames(await root.get(`/api/v1/superuser/users/?${filter.slice(1)}`));
        expect(everyone.includes('paged-off')).toBe(filter === '');
        const seen: string[] = [];
        let path = `/api/v1/superuser/users/?limit=2${filter}`;
        for (let pages = 0; pages < 50; pages++) {
          const res = await root.get(path);
          expectStatus(res, 200);
          expect(res.body.users.length).toBeLessThanOrEqual(2);
          seen.push(...usernames(res));
          if (!res.body.next_page) break;
          path = `/api/v1/superuser/users/?limit=2${filter}&next_page=${encodeURIComponent(res.body.next_page)}`;
        }
        expect(seen).toEqual(everyone);
      },
    );

    it.each([
      ['a limit above 100', '?limit=101'],
      ['a limit of 0', '?limit=0'],
      ['a forged page token', '?limit=2&next_page=not*a*token'],
      ['a page token that is not ours', `?limit=2&next_page=${Buffer.from('[1]').toString('base64url')}`],
    ])('refuses %s with 400', async (_what, query) => {
      expectStatus(await root.get(`/api/v1/superuser/users/${query}`), 400);
    });
  });

  describe('creating', () => {
    it('creates a user with a generated password that works, returned only here', async () => {
      const res = await root.post('/api/v1/superuser/users/', { username: 'newbie', email: 'newbie@example.com' });
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ username: 'newbie', email: 'newbie@example.com' });
      expect(res.body.password).toMatch(/^[A-Z0-9]{32}$/);
      expect(res.body.encrypted_password).toEqual(expect.any(String));
      expect(res.body.encrypted_password).not.toContain(res.body.password);
      expect(registry.ctx.secrets.open(res.body.encrypted_password)).toBe(res.body.password);
      expect(await v2Status(registry, 'newbie', res.body.password)).toBe(200);

      const view = await root.get('/api/v1/superuser/users/newbie');
      expect(JSON.stringify(view.body)).not.toContain(res.body.password);
    });

    it('refuses taken names, taken e-mail addresses and invalid names with 400', async () => {
      expectStatus(await root.post('/api/v1/superuser/users/', { username: 'bob' }), 400);
      expectStatus(await root.post('/api/v1/superuser/users/', { username: 'bobby', email: 'bob@example.com' }), 400);
      expectStatus(await root.post('/api/v1/superuser/users/', { username: 'Not Valid' }), 400);
      expectStatus(await root.post('/api/v1/superuser/users/', {}), 400);
      expect(await findNamespace(registry.ctx.db, 'bobby')).toBeUndefined();
    });
  });

  describe('changing', () => {
    it('disabling ends sessions and /v2/ basic auth; enabling restores basic auth', async () => {
      await registry.createUser('dora', 'dora-password');
      const dora = await sessionClient(registry, 'dora');
      expect(await v2Status(registry, 'dora', 'dora-password')).toBe(200);

      const res = await root.put('/api/v1/superuser/users/dora', { enabled: false });
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ username: 'dora', enabled: false });
      expect(await v2Status(registry, 'dora', 'dora-password')).toBe(401);
      expectStatus(await dora.get('/api/v1/user/'), 401);
      const sessions = await registry.ctx.db
        .selectFrom('user_session')
        .innerJoin('namespace', 'namespace.id', 'user_session.user_id')
        .select('user_session.id')
        .where('namespace.name', '=', 'dora')
        .execute();
      expect(sessions).toHaveLength(0);
      const signin = await anonymousClient(registry).post('/api/v1/signin', { username: 'dora', password: 'dora-password' });
      expectStatus(signin, 403);

      expectStatus(await root.put('/api/v1/superuser/users/dora', { enabled: true }), 200);
      expect(await v2Status(registry, 'dora', 'dora-password')).toBe(200);
    });

    it("changes a user's password and e-mail address, returning no password", async () => {
      await registry.createUser('eve', 'eve-password');
      const eve = await sessionClient(registry, 'eve');
      const res = await admin.put('/api/v1/superuser/users/eve', { password: 'eve-reset-password', email: 'eve@example.com' });
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ username: 'eve', email: 'eve@example.com' });
      expect(JSON.stringify(res.body)).not.toContain('eve-reset-password');
      expect(registry.ctx.secrets.open(res.body.encrypted_password)).toBe('eve-reset-password');
      expect(await v2Status(registry, 'eve', 'eve-password')).toBe(401);
      expect(await v2Status(registry, 'eve', 'eve-reset-password')).toBe(200);
      expectStatus(await eve.get('/api/v1/user/'), 401);
    });

    it('refuses bad input and changes to superusers with 400, unknown users with 404', async () => {
      expectStatus(await root.put('/api/v1/superuser/users/bob', { password: 'short' }), 400);
      expectStatus(await root.put('/api/v1/superuser/users/bob', { email: 'alice@example.com' }), 400);
      expectStatus(await root.put('/api/v1/superuser/users/bob', { enabled: 'no' }), 400);
      expectStatus(await root.put('/api/v1/superuser/users/bob', { superuser: true }), 400);
      expectStatus(await root.put('/api/v1/superuser/users/admin', { enabled: false }), 400);
      expectStatus(await admin.put('/api/v1/superuser/users/root', { enabled: false }), 400);
      expectStatus(await root.put('/api/v1/superuser/users/nobody', { enabled: false }), 404);
      expect((await findNamespace(registry.ctx.db, 'admin'))?.enabled).toBe(1);
      expect((await findNamespace(registry.ctx.db, 'bob'))?.email).toBe('bob@example.com');
      expect(await v2Status(registry, 'bob', 'bob-password')).toBe(200);
    });
  });

  describe('deleting', () => {
    it('deletes a user account like self-service deletion does', async () => {
      await registry.createUser('gone', 'gone-password');
      const row = await findNamespace(registry.ctx.db, 'gone');
      expectStatus(await root.delete('/api/v1/superuser/users/gone'), 204);
      const after = await findNamespaceById(registry.ctx.db, row!.id);
      expect(after).toMatchObject({ enabled: 0 });
      expect(after!.name).toMatch(/^deleted~/);
      const queued = await registry.ctx.db.selectFrom('queue_item').select('body').where('queue_name', '=', 'namespacegc').execute();
      expect(queued.map((q) => JSON.parse(q.body).namespace_id)).toContain(row!.id);
      expectStatus(await root.get('/api/v1/superuser/users/gone'), 404);
      const listed = (await root.get('/api/v1/superuser/users/')).body.users.map((u: { username: string }) => u.username);
      expect(listed.some((name: string) => name.startsWith('deleted~'))).toBe(false);
    });

    it('refuses to delete a superuser or the only administrator of an organization', async () => {
      expectStatus(await root.delete('/api/v1/superuser/users/admin'), 400);
      expectStatus(await admin.delete('/api/v1/superuser/users/root'), 400);
      const res = await root.delete('/api/v1/superuser/users/alice');
      expectStatus(res, 400);
      expect(res.body.error_message).toContain('alice-org');
      expectStatus(await root.delete('/api/v1/superuser/users/nobody'), 404);
      for (const name of ['admin', 'root', 'alice']) expect((await findNamespace(registry.ctx.db, name))?.enabled).toBe(1);
    });
  });
});

describe.each(testDialects())('superuser endpoints with FEATURE_SUPER_USERS off (%s)', (dialect) => {
  it('are 404 even for a superuser', async () => {
    const registry = await startTestRegistry({ dialect, overrides: { FEATURE_SUPER_USERS: false, SUPER_USERS: ['root'] } });
    try {
      await registry.createUser('root', 'root-password');
      const root = await sessionClient(registry, 'root');
      expectStatus(await root.get('/api/v1/superuser/users/'), 404);
      expectStatus(await root.post('/api/v1/superuser/users/', { username: 'x1' }), 404);
      expect(await findNamespace(registry.ctx.db, 'x1')).toBeUndefined();
    } finally {
      await registry.close();
    }
  });
});
