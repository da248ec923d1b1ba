import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNamespace } from '../../src/model/namespaces.js';
import { type ApiClient, anonymousClient, expectApiError, expectStatus, sessionClient, tokenClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { createOrganizationBy, namespaceId } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/**
 * Superuser organization management: GET /api/v1/superuser/organizations/,
 * PUT|DELETE /api/v1/superuser/organizations/{name}, POST /api/v1/superuser/takeownership/{namespace}.
 */

async function logEntries(registry: TestRegistry, kind: string) {
  const rows = await registry.ctx.db.selectFrom('log_entry').selectAll().where('kind', '=', kind).orderBy('id').execute();
  return rows.map((row) => ({ ...row, metadata: JSON.parse(row.metadata) as Record<string, unknown> }));
}

async function teamMemberNames(registry: TestRegistry, organization: string): Promise<string[]> {
  const rows = await registry.ctx.db
    .selectFrom('team')
    .innerJoin('team_member', 'team_member.team_id', 'team.id')
    .innerJoin('namespace as member', 'member.id', 'team_member.member_id')
    .innerJoin('namespace as organization', 'organization.id', 'team.organization_id')
    .select('member.name as name')
    .where('organization.name', '=', organization)
    .where('team.role', '=', 'admin')
    .execute();
  return rows.map((row) => row.name).sort();
}

describe.each(testDialects())('superuser organization management (%s)', (dialect) => {
  let registry: TestRegistry;
  let root: ApiClient;
  let auditor: ApiClient;
  let alice: ApiClient;

  beforeAll(async () => {
    registry = await startTestRegistry({
      dialect,
      overrides: { SUPER_USERS: ['root'], GLOBAL_READONLY_SUPER_USERS: ['auditor'] },
    });
    await registry.createUser('root', 'root-password', { email: 'root@example.com' });
    await registry.createUser('auditor', 'auditor-password');
    await registry.createUser('alice', 'alice-password', { email: 'alice@example.com' });
    for (const name of ['org-a', 'org-b', 'org-c', 'org-d']) await createOrganizationBy(registry, name, 'alice');
    await registry.ctx.db.updateTable('namespace').set({ email: 'b@example.com' }).where('name', '=', 'org-b').execute();
    root = await sessionClient(registry, 'root');
    auditor = await sessionClient(registry, 'auditor');
    alice = await sessionClient(registry, 'alice');
  });
  afterAll(async () => {
    await registry?.close();
  });

  describe('who may call', () => {
    it.each([
      ['GET', '/api/v1/superuser/organizations/'],
      ['PUT', '/api/v1/superuser/organizations/org-a'],
      ['DELETE', '/api/v1/superuser/organizations/org-a'],
      ['POST', '/api/v1/superuser/takeownership/org-a'],
    ])('%s %s: 401 anonymous, 403 for a normal user and a token without super:user', async (method, path) => {
      const body = method === 'PUT' ? { name: 'stolen' } : method === 'POST' ? {} : undefined;
      expectApiError(await anonymousClient(registry).request(method, path, body), 401);
      expectApiError(await alice.request(method, path, body), 403);
      expectApiError(await (await tokenClient(registry, 'root', ['org:admin', 'user:admin'])).request(method, path, body), 403);
      expect((await findNamespace(registry.ctx.db, 'org-a'))?.kind).toBe('organization');
      expect(await findNamespace(registry.ctx.db, 'stolen')).toBeUndefined();
      expect(await teamMemberNames(registry, 'org-a')).toEqual(['alice']);
    });

    it('a global read-only superuser may list organizations but not rename, delete or take them over', async () => {
      expectStatus(await auditor.get('/api/v1/superuser/organizations/'), 200);
      expectApiError(await auditor.put('/api/v1/superuser/organizations/org-a', { name: 'stolen' }), 403);
      expectApiError(await auditor.delete('/api/v1/superuser/organizations/org-a'), 403);
      expectApiError(await auditor.post('/api/v1/superuser/takeownership/org-a'), 403);
      expect((await findNamespace(registry.ctx.db, 'org-a'))?.kind).toBe('organization');
      expect(await teamMemberNames(registry, 'org-a')).toEqual(['alice']);
    });
  });

  describe('listing', () => {
    it("lists every organization in Quay's view, and no users or robots", async () => {
      const res = await (await tokenClient(registry, 'root', ['super:user'])).get('/api/v1/superuser/organizations/');
      expectStatus(res, 200);
      const names = res.body.organizations.map((o: { name: string }) => o.name);
      expect(names).toEqual(expect.arrayContaining(['org-a', 'org-b', 'org-c', 'org-d']));
      expect(names).not.toContain('alice');
      expect(names).not.toContain('root');
      expect(res.body).not.toHaveProperty('next_page');
      expect(res.body.organizations.find((o: { name: string }) => o.name === 'org-b')).toEqual({
        name: 'org-b',
        email: 'b@example.com',
        avatar: expect.objectContaining({ name: 'org-b', kind: 'org' }),
      });
    });

    it('pages with limit and next_page until every organization has been seen once', async () => {
      const all = (await root.get('/api/v1/superuser/organizations/')).body.organizations.map((o: { name: string }) => o.name);
      const seen: string[] = [];
      let path = '/api/v1/superuser/organizations/?limit=2';
      for (let pages = 0; pages < 10; pages++) {
        const res = await root.get(path);
        expectStatus(res, 200);
        expect(res.body.organizations.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.organizations.map((o: { name: string }) => o.name));
        if (!res.body.next_page) break;
        path = `/api/v1/superuser/organizations/?limit=2&next_page=${encodeURIComponent(res.body.next_page)}`;
      }
      expect(seen).toEqual(all);
      expect(all.length).toBeGreaterThan(2);
    });

    it.each([
      ['a limit above 100', '?limit=101'],
      ['a limit of 0', '?limit=0'],
      ['a limit that is not a number', '?limit=many'],
      ['a forged page token', '?limit=2&next_page=not*a*token'],
      ['a page token that is not ours', `?limit=2&next_page=${Buffer.from('[1]').toString('base64url')}`],
    ])('rejects %s with 400', async (_what, query) => {
      expectApiError(await root.get(`/api/v1/superuser/organizations/${query}`), 400);
    });
  });

  describe('renaming', () => {
    it('renames the organization, its robots follow, repositories stay, and the rename is logged', async () => {
      await createOrganizationBy(registry, 'oldname', 'alice');
      const robot = await alice.put('/api/v1/organization/oldname/robots/builder', { description: 'ci' });
      expectStatus(robot, 201);
      expectStatus(
        await alice.post('/api/v1/repository', { repository: 'app', namespace: 'oldname', visibility: 'private', description: '' }),
        201,
      );
      const organizationId = await namespaceId(registry, 'oldname');

      const res = await root.put('/api/v1/superuser/organizations/oldname', { name: 'newname' });
      expectStatus(res, 200);
      expect(res.body).toEqual({ name: 'newname', email: null, avatar: expect.objectContaining({ name: 'newname' }) });

      expect(await findNamespace(registry.ctx.db, 'oldname')).toBeUndefined();
      expect((await findNamespace(registry.ctx.db, 'newname'))?.id).toBe(organizationId);
      expect(await findNamespace(registry.ctx.db, 'oldname+builder')).toBeUndefined();
      expect((await findNamespace(registry.ctx.db, 'newname+builder'))?.kind).toBe('robot');
      expectStatus(await alice.get('/api/v1/repository/newname/app'), 200);
      expectApiError(await alice.get('/api/v1/organization/oldname'), 404);

      // The robot signs in under its new name with its old token.
      const registryClient = new RegistryClient(registry.url);
      const token = await registryClient.tokenRequest(['repository:newname/app:pull'], basicAuth('newname+builder', robot.body.token));
      expect(token.status, token.describe()).toBe(200);

      const [entry] = (await logEntries(registry, 'org_change_name')).filter((e) => e.account_id === organizationId);
      expect(entry?.metadata).toEqual({ old_name: 'oldname', new_name: 'newname', superuser: 'root' });
      expect(entry?.performer_id).toBe(await namespaceId(registry, 'root'));
    });

    it('without a new name, answers the organization unchanged', async () => {
      const res = await root.put('/api/v1/superuser/organizations/org-c', {});
      expectStatus(res, 200);
      expect(res.body.name).toBe('org-c');
    });

    it.each([
      ['a taken name', 'org-d', /taken/],
      ["a user's name", 'alice', /taken/],
      ['an invalid name', 'Not A Name', /invalid namespace name/],
      ['a robot-like name', 'org+robot', /invalid namespace name/],
    ])('refuses %s with 400 and changes nothing', async (_what, name, message) => {
      expectApiError(await root.put('/api/v1/superuser/organizations/org-c', { name }), 400, message);
      expect((await findNamespace(registry.ctx.db, 'org-c'))?.kind).toBe('organization');
    });

    it('refuses a name that is not a string with 400', async () => {
      expectApiError(await root.put('/api/v1/superuser/organizations/org-c', { name: 7 }), 400);
    });

    it('answers 404 for unknown organizations and for users', async () => {
      expectApiError(await root.put('/api/v1/superuser/organizations/nothing-here', { name: 'x-y' }), 404);
      expectApiError(await root.put('/api/v1/superuser/organizations/alice', { name: 'alice-renamed' }), 404);
      expect((await findNamespace(registry.ctx.db, 'alice'))?.kind).toBe('user');
    });
  });

  describe('deleting', () => {
    it('marks the organization deleted (its name is free at once), queues its cleanup and logs it', async () => {
      const organization = await createOrganizationBy(registry, 'doomed', 'alice');
      expectStatus(await root.delete('/api/v1/superuser/organizations/doomed'), 204);
      expect(await findNamespace(registry.ctx.db, 'doomed')).toBeUndefined();
      const queued = await registry.ctx.db
        .selectFrom('queue_item')
        .select('body')
        .where('queue_name', '=', 'namespacegc')
        .execute();
      expect(queued.map((q) => JSON.parse(q.body).namespace_id)).toContain(organization.id);
      const entries = (await logEntries(registry, 'org_delete')).filter((e) => e.account_id === organization.id);
      expect(entries.map((e) => e.metadata)).toEqual([{ namespace: 'doomed', superuser: 'root' }]);
      expectApiError(await alice.get('/api/v1/organization/doomed'), 404);
    });

    it('answers 404 for unknown organizations and users, and deletes no user', async () => {
      expectApiError(await root.delete('/api/v1/superuser/organizations/nothing-here'), 404);
      expectApiError(await root.delete('/api/v1/superuser/organizations/alice'), 404);
      expect((await findNamespace(registry.ctx.db, 'alice'))?.enabled).toBe(1);
    });
  });

  describe('taking ownership', () => {
    it('adds the superuser to an admin team of an organization and logs it', async () => {
      await createOrganizationBy(registry, 'taken-org', 'alice');
      const res = await root.post('/api/v1/superuser/takeownership/taken-org');
      expectStatus(res, 200);
      expect(res.body).toEqual({ namespace: 'taken-org' });
      expect(await teamMemberNames(registry, 'taken-org')).toEqual(['alice', 'root']);
      // Taking it again changes nothing.
      expectStatus(await root.post('/api/v1/superuser/takeownership/taken-org'), 200);
      expect(await teamMemberNames(registry, 'taken-org')).toEqual(['alice', 'root']);
      const [entry] = (await logEntries(registry, 'take_ownership')).filter((e) => e.metadata['namespace'] === 'taken-org');
      expect(entry?.metadata).toEqual({
        entity_id: await namespaceId(registry, 'taken-org'),
        namespace: 'taken-org',
        was_user: false,
        superuser: 'root',
      });
      expect(entry?.account_id).toBe(await namespaceId(registry, 'root'));
    });

    it('converts a user account into an organization the superuser administers; the user can no longer sign in', async () => {
      await registry.createUser('bob', 'bob-password');
      const bob = await sessionClient(registry, 'bob');
      expectStatus(await bob.get('/api/v1/user/'), 200);
      const res = await root.post('/api/v1/superuser/takeownership/bob');
      expectStatus(res, 200);
      expect((await findNamespace(registry.ctx.db, 'bob'))?.kind).toBe('organization');
      expect(await teamMemberNames(registry, 'bob')).toEqual(['root']);
      expectStatus(await bob.get('/api/v1/user/'), 401);
      const login = await new RegistryClient(registry.url).tokenRequest([], basicAuth('bob', 'bob-password'));
      expect(login.status, login.describe()).toBe(401);
      const [entry] = (await logEntries(registry, 'take_ownership')).filter((e) => e.metadata['namespace'] === 'bob');
      expect(entry?.metadata['was_user']).toBe(true);
    });

    it('refuses superusers (400), unknown namespaces and robots (404)', async () => {
      expectApiError(await root.post('/api/v1/superuser/takeownership/root'), 400, /superuser/);
      expect((await findNamespace(registry.ctx.db, 'root'))?.kind).toBe('user');
      expectApiError(await root.post('/api/v1/superuser/takeownership/nothing-here'), 404);
      await alice.put('/api/v1/organization/org-a/robots/bot', {});
      expectApiError(await root.post(`/api/v1/superuser/takeownership/${encodeURIComponent('org-a+bot')}`), 404);
      expect((await findNamespace(registry.ctx.db, 'org-a+bot'))?.kind).toBe('robot');
    });

    it("refuses to convert a user who is an organization's only administrator", async () => {
      await registry.createUser('carol', 'carol-password');
      await createOrganizationBy(registry, 'carols-org', 'carol');
      expectApiError(await root.post('/api/v1/superuser/takeownership/carol'), 400, /only administrator/);
      expect((await findNamespace(registry.ctx.db, 'carol'))?.kind).toBe('user');
    });
  });
});
