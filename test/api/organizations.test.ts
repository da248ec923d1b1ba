import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNamespace } from '../../src/model/namespaces.js';
import { createRobot } from '../../src/model/robots.js';
import { type ApiClient, anonymousClient, expectApiError, expectStatus, sessionClient, tokenClient } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { createUsers, namespaceId } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** /api/v1/organization…: creation, the org view by role, settings, deletion, members and collaborators. */

const PASSWORD = 'org-test-password';

describe.each(testDialects())('organizations API (%s)', (dialect) => {
  let registry: TestRegistry;
  let alice: ApiClient;
  let bob: ApiClient;
  let carol: ApiClient;
  let anonymous: ApiClient;

  async function createOrg(client: ApiClient, name: string, email?: string): Promise<void> {
    const res = await client.post('/api/v1/organization/', email === undefined ? { name } : { name, email });
    expectStatus(res, 201);
  }

  async function addToTeam(org: string, team: string, role: string, member: string): Promise<void> {
    expectStatus(await alice.put(`/api/v1/organization/${org}/team/${team}`, { role }), 200);
    expectStatus(await alice.put(`/api/v1/organization/${org}/team/${team}/members/${member}`), 200);
  }

  /** Pushes an image as alice (an org admin), creating the repository. */
  async function pushAsAlice(repository: string): Promise<void> {
    const client = new RegistryClient(registry.url, basicAuth('alice', PASSWORD));
    await client.pushImage(repository, 'latest', randomImage(1));
  }

  async function grantDirect(org: string, repository: string, member: string): Promise<void> {
    const repo = await registry.ctx.db
      .selectFrom('repository')
      .select('id')
      .where('namespace_id', '=', await namespaceId(registry, org))
      .where('name', '=', repository)
      .executeTakeFirstOrThrow();
    await registry.ctx.db
      .insertInto('repository_permission')
      .values({ repository_id: repo.id, member_id: await namespaceId(registry, member), team_id: null, role: 'read' })
      .execute();
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect, overrides: { FEATURE_USER_CREATION: false } });
    await createUsers(registry, ['alice', 'bob', 'carol', 'dave'], PASSWORD);
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    carol = await sessionClient(registry, 'carol');
    anonymous = anonymousClient(registry);
  });
  afterAll(async () => {
    await registry.close();
  });

  describe('POST /api/v1/organization/', () => {
    it('creates the organization with its creator in the owners admin team, even without FEATURE_USER_CREATION', async () => {
      const res = await alice.post('/api/v1/organization/', { name: 'acme', email: 'acme@example.com' });
      expectStatus(res, 201);
      expect(res.body).toBe('Created');
      const view = await alice.get('/api/v1/organization/acme');
      expectStatus(view, 200);
      expect(view.body).toMatchObject({
        name: 'acme',
        email: 'acme@example.com',
        avatar: { name: 'acme', kind: 'org' },
        is_admin: true,
        is_member: true,
        ordered_teams: ['owners'],
        tag_expiration_s: 1_209_600,
        invoice_email: false,
        is_free_account: true,
      });
      expect(view.body.teams.owners).toMatchObject({
        name: 'owners',
        role: 'admin',
        description: '',
        can_view: true,
        member_count: 1,
        repo_count: 0,
        is_synced: false,
        avatar: { name: 'owners', kind: 'team' },
      });
    });

    it('works with an OAuth token holding user:admin', async () => {
      const client = await tokenClient(registry, 'carol', ['user:admin']);
      expectStatus(await client.post('/api/v1/organization/', { name: 'carols-org' }), 201);
      expect((await carol.get('/api/v1/organization/carols-org')).body.is_admin).toBe(true);
    });

    it('refuses anonymous callers and tokens without user:admin', async () => {
      expectApiError(await anonymous.post('/api/v1/organization/', { name: 'anon-org' }), 401);
      const readOnly = await tokenClient(registry, 'carol', ['user:read', 'org:admin']);
      expectApiError(await readOnly.post('/api/v1/organization/', { name: 'token-org' }), 403);
      expect(await findNamespace(registry.ctx.db, 'anon-org')).toBeUndefined();
      expect(await findNamespace(registry.ctx.db, 'token-org')).toBeUndefined();
    });

    it.each([['Acme'], ['a'], ['has space'], ['bad--'], ['x'.repeat(256)], ['deleted~org']])(
      'rejects the invalid name %j',
      async (name) => {
        expectApiError(await alice.post('/api/v1/organization/', { name }), 400);
      },
    );

    it('rejects names taken by a user, an organization or a robot', async () => {
      expectApiError(await alice.post('/api/v1/organization/', { name: 'bob' }), 400, /taken/);
      expectApiError(await bob.post('/api/v1/organization/', { name: 'acme' }), 400, /taken/);
      const acme = await findNamespace(registry.ctx.db, 'acme');
      await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: acme!, shortname: 'builder' });
      expectApiError(await alice.post('/api/v1/organization/', { name: 'acme+builder' }), 400);
    });

    it('rejects a missing name and a malformed e-mail address', async () => {
      expectApiError(await alice.post('/api/v1/organization/', {}), 400);
      expectApiError(await alice.post('/api/v1/organization/', { name: 'mail-org', email: 'not-an-address' }), 400);
      expect(await findNamespace(registry.ctx.db, 'mail-org')).toBeUndefined();
    });
  });

  describe('GET /api/v1/organization/{orgname}', () => {
    beforeAll(async () => {
      await createOrg(alice, 'viewed', 'viewed@example.com');
      await addToTeam('viewed', 'readers', 'member', 'bob');
      await addToTeam('viewed', 'builders', 'creator', 'dave');
    });

    it('shows anyone, even anonymous callers, only the public basics', async () => {
      for (const client of [anonymous, carol]) {
        const res = await client.get('/api/v1/organization/viewed');
        expectStatus(res, 200);
        expect(res.body).toEqual({
          name: 'viewed',
          email: '',
          avatar: expect.objectContaining({ kind: 'org' }),
          is_admin: false,
          is_member: false,
        });
      }
    });

    it('shows members the teams, with can_view only for their own teams, but no settings', async () => {
      const res = await bob.get('/api/v1/organization/viewed');
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ is_admin: false, is_member: true, email: '' });
      expect(res.body.ordered_teams).toEqual(['owners', 'readers', 'builders']);
      expect(res.body.teams.readers).toMatchObject({ role: 'member', can_view: true, member_count: 1 });
      expect(res.body.teams.owners.can_view).toBe(false);
      expect(res.body.teams.builders).toMatchObject({ role: 'creator', can_view: false });
      expect(res.body).not.toHaveProperty('tag_expiration_s');
      expect(res.body).not.toHaveProperty('invoice_email');
    });

    it('shows administrators every team as viewable', async () => {
      const res = await alice.get('/api/v1/organization/viewed');
      for (const name of res.body.ordered_teams) expect(res.body.teams[name].can_view).toBe(true);
      expect(res.body.email).toBe('viewed@example.com');
    });

    it('answers 404 for unknown organizations and for users', async () => {
      expectApiError(await alice.get('/api/v1/organization/no-such-org'), 404);
      expectApiError(await alice.get('/api/v1/organization/bob'), 404);
    });
  });

  describe('PUT /api/v1/organization/{orgname}', () => {
    beforeAll(async () => {
      await createOrg(alice, 'settings');
      await addToTeam('settings', 'readers', 'member', 'bob');
    });

    it('lets an administrator change the e-mail and the time-machine window', async () => {
      const res = await alice.put('/api/v1/organization/settings', { email: 'ops@example.com', tag_expiration_s: 86_400 });
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ name: 'settings', email: 'ops@example.com', tag_expiration_s: 86_400 });
      const row = await findNamespace(registry.ctx.db, 'settings');
      expect(row).toMatchObject({ email: 'ops@example.com', removed_tag_expiration_s: 86_400 });
    });

    it('accepts 0s (no time machine) and invoice_email for compatibility', async () => {
      const res = await alice.put('/api/v1/organization/settings', { tag_expiration_s: 0, invoice_email: true });
      expectStatus(res, 200);
      expect(res.body.tag_expiration_s).toBe(0);
    });

    it.each([[12_345], [-1], ['1d'], [1.5]])('rejects tag_expiration_s %j', async (value) => {
      expectApiError(await alice.put('/api/v1/organization/settings', { tag_expiration_s: value }), 400);
      expect((await findNamespace(registry.ctx.db, 'settings'))?.removed_tag_expiration_s).toBe(0);
    });

    it('rejects a malformed e-mail address and one used by another account', async () => {
      expectApiError(await alice.put('/api/v1/organization/settings', { email: 'nope' }), 400);
      expectApiError(await alice.put('/api/v1/organization/settings', { email: 'bob@example.com' }), 400, /already used/);
    });

    it('refuses members, outsiders and anonymous callers', async () => {
      expectApiError(await bob.put('/api/v1/organization/settings', { tag_expiration_s: 86_400 }), 403);
      expectApiError(await carol.put('/api/v1/organization/settings', { tag_expiration_s: 86_400 }), 403);
      expectApiError(await anonymous.put('/api/v1/organization/settings', { tag_expiration_s: 86_400 }), 401);
      expectApiError(await alice.put('/api/v1/organization/nowhere', { tag_expiration_s: 86_400 }), 404);
    });

    it('needs org:admin on an OAuth token', async () => {
      const without = await tokenClient(registry, 'alice', ['user:admin', 'repo:admin']);
      expectApiError(await without.put('/api/v1/organization/settings', { tag_expiration_s: 86_400 }), 403);
      const withScope = await tokenClient(registry, 'alice', ['org:admin']);
      const res = await withScope.put('/api/v1/organization/settings', { tag_expiration_s: 604_800 });
      expectStatus(res, 200);
      expect(res.body.tag_expiration_s).toBe(604_800);
      // Without org:admin the token's holder is no administrator: the view says so.
      expect((await without.get('/api/v1/organization/settings')).body.is_admin).toBe(false);
    });
  });

  describe('members and collaborators', () => {
    beforeAll(async () => {
      await createOrg(alice, 'crew');
      await addToTeam('crew', 'readers', 'member', 'bob');
      expectStatus(await alice.put('/api/v1/organization/crew/team/writers', { role: 'member' }), 200);
      expectStatus(await alice.put('/api/v1/organization/crew/team/writers/members/bob'), 200);
      const crew = await findNamespace(registry.ctx.db, 'crew');
      await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: crew!, shortname: 'ci' });
      expectStatus(await alice.put('/api/v1/organization/crew/team/readers/members/crew+ci'), 200);
      await pushAsAlice('crew/app');
      await pushAsAlice('crew/lib');
      await grantDirect('crew', 'app', 'bob');
      await grantDirect('crew', 'app', 'carol');
      await grantDirect('crew', 'lib', 'carol');
    });

    it('lists the human members with their teams and direct permissions', async () => {
      const res = await alice.get('/api/v1/organization/crew/members');
      expectStatus(res, 200);
      const byName = Object.fromEntries(res.body.members.map((m: { name: string }) => [m.name, m]));
      expect(Object.keys(byName).sort()).toEqual(['alice', 'bob']);
      expect(byName['bob']).toMatchObject({
        kind: 'user',
        avatar: { kind: 'user' },
        repositories: ['app'],
      });
      expect(byName['bob'].teams.map((t: { name: string }) => t.name).sort()).toEqual(['readers', 'writers']);
      expect(byName['alice'].teams).toEqual([{ name: 'owners', avatar: expect.objectContaining({ kind: 'team' }) }]);
    });

    it('shows one member, a robot of the organization, and 404 for others', async () => {
      const bobView = await alice.get('/api/v1/organization/crew/members/bob');
      expectStatus(bobView, 200);
      expect(bobView.body).toMatchObject({ name: 'bob', kind: 'user', repositories: ['app'] });
      const robot = await alice.get('/api/v1/organization/crew/members/crew+ci');
      expectStatus(robot, 200);
      expect(robot.body).toMatchObject({ name: 'crew+ci', kind: 'robot', teams: [{ name: 'readers' }] });
      expectApiError(await alice.get('/api/v1/organization/crew/members/carol'), 404);
      expectApiError(await alice.get('/api/v1/organization/crew/members/nobody'), 404);
      expectApiError(await alice.get('/api/v1/organization/crew/members/crew'), 404);
    });

    it('lists outside collaborators: direct permissions but no team', async () => {
      const res = await alice.get('/api/v1/organization/crew/collaborators');
      expectStatus(res, 200);
      expect(res.body.collaborators).toEqual([
        { kind: 'user', name: 'carol', avatar: expect.objectContaining({ kind: 'user' }), repositories: ['app', 'lib'] },
      ]);
    });

    it('keeps members, collaborators and other members out of the lists', async () => {
      for (const path of ['/members', '/members/bob', '/collaborators']) {
        expectApiError(await bob.get(`/api/v1/organization/crew${path}`), 403);
        expectApiError(await carol.get(`/api/v1/organization/crew${path}`), 403);
        expectApiError(await anonymous.get(`/api/v1/organization/crew${path}`), 401);
      }
      const noScope = await tokenClient(registry, 'alice', ['repo:admin', 'user:admin']);
      expectApiError(await noScope.get('/api/v1/organization/crew/members'), 403);
      expectApiError(await alice.get('/api/v1/organization/ghost/members'), 404);
    });

    it('removes a member from every team and every direct permission', async () => {
      expectApiError(await bob.delete('/api/v1/organization/crew/members/alice'), 403);
      expectStatus(await alice.delete('/api/v1/organization/crew/members/bob'), 204);
      const members = await alice.get('/api/v1/organization/crew/members');
      expect(members.body.members.map((m: { name: string }) => m.name)).toEqual(['alice']);
      const bobId = await namespaceId(registry, 'bob');
      const left = await registry.ctx.db
        .selectFrom('repository_permission')
        .select('id')
        .where('member_id', '=', bobId)
        .execute();
      expect(left).toEqual([]);
      expect((await bob.get('/api/v1/organization/crew')).body.is_member).toBe(false);
      expectApiError(await alice.delete('/api/v1/organization/crew/members/nobody'), 404);
    });

    it('refuses to remove the last administrator', async () => {
      expectApiError(await alice.delete('/api/v1/organization/crew/members/alice'), 400, /administrator/);
      expect((await alice.get('/api/v1/organization/crew')).body.is_admin).toBe(true);
    });
  });

  describe('DELETE /api/v1/organization/{orgname}', () => {
    beforeAll(async () => {
      await createOrg(alice, 'doomed', 'doomed@example.com');
      await addToTeam('doomed', 'readers', 'member', 'bob');
      await pushAsAlice('doomed/app');
      const doomed = await findNamespace(registry.ctx.db, 'doomed');
      await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: doomed!, shortname: 'bot' });
    });

    it('refuses members, outsiders, anonymous callers and tokens without org:admin', async () => {
      expectApiError(await bob.delete('/api/v1/organization/doomed'), 403);
      expectApiError(await carol.delete('/api/v1/organization/doomed'), 403);
      expectApiError(await anonymous.delete('/api/v1/organization/doomed'), 401);
      const noScope = await tokenClient(registry, 'alice', ['user:admin', 'repo:admin']);
      expectApiError(await noScope.delete('/api/v1/organization/doomed'), 403);
      expectStatus(await alice.get('/api/v1/organization/doomed'), 200);
    });

    it('renames and disables the organization, queues its cleanup, and frees its name', async () => {
      const id = await namespaceId(registry, 'doomed');
      expectStatus(await alice.delete('/api/v1/organization/doomed'), 204);
      expectApiError(await alice.get('/api/v1/organization/doomed'), 404);

      const row = await registry.ctx.db.selectFrom('namespace').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(row.name).toMatch(/^deleted~[0-9a-f-]{36}$/);
      expect(row).toMatchObject({ enabled: 0, email: null });
      expect(row.deleted_at).toEqual(expect.any(Number));

      const queued = await registry.ctx.db
        .selectFrom('queue_item')
        .selectAll()
        .where('queue_name', '=', 'namespacegc')
        .execute();
      expect(queued.map((q) => JSON.parse(q.body))).toContainEqual({ namespace_id: id, original_name: 'doomed' });

      const teams = await registry.ctx.db.selectFrom('team').select('id').where('organization_id', '=', id).execute();
      expect(teams).toEqual([]);
      expect(await findNamespace(registry.ctx.db, 'doomed+bot')).toBeUndefined();

      // Its repositories can no longer be pulled, even by its former owner.
      const puller = new RegistryClient(registry.url, basicAuth('alice', PASSWORD));
      expect((await puller.getManifest('doomed/app', 'latest')).status).toBeGreaterThanOrEqual(400);

      await createOrg(bob, 'doomed');
      const again = await bob.get('/api/v1/organization/doomed');
      expect(again.body).toMatchObject({ is_admin: true, ordered_teams: ['owners'] });
      expect(again.body.teams.owners.member_count).toBe(1);
      expectApiError(await alice.delete('/api/v1/organization/no-such-org'), 404);
    });
  });
});

describe.each(testDialects())('time-machine window changes switched off (%s)', (dialect) => {
  it('ignores tag_expiration_s on users and organizations when FEATURE_CHANGE_TAG_EXPIRATION is false, as Quay does', async () => {
    const registry = await startTestRegistry({ dialect, overrides: { FEATURE_CHANGE_TAG_EXPIRATION: false } });
    try {
      await createUsers(registry, ['alice'], PASSWORD);
      const alice = await sessionClient(registry, 'alice');
      expectStatus(await alice.post('/api/v1/organization/', { name: 'frozen', email: 'frozen@example.com' }), 201);
      const orgBefore = (await findNamespace(registry.ctx.db, 'frozen'))!.removed_tag_expiration_s;
      const userBefore = (await findNamespace(registry.ctx.db, 'alice'))!.removed_tag_expiration_s;
      expect(orgBefore).not.toBe(86_400);
      expect(userBefore).not.toBe(86_400);

      // Not even checked against TAG_EXPIRATION_OPTIONS: the field is simply not applied.
      for (const value of [86_400, 12_345]) {
        const org = await alice.put('/api/v1/organization/frozen', { tag_expiration_s: value });
        expectStatus(org, 200);
        expect(org.body.tag_expiration_s).toBe(orgBefore);
        const user = await alice.put('/api/v1/user/', { tag_expiration_s: value });
        expectStatus(user, 200);
        expect(user.body.tag_expiration_s).toBe(userBefore);
      }
      expect((await findNamespace(registry.ctx.db, 'frozen'))?.removed_tag_expiration_s).toBe(orgBefore);
      expect((await findNamespace(registry.ctx.db, 'alice'))?.removed_tag_expiration_s).toBe(userBefore);
      await registry.ctx.usageLogs.flush();
      const logged = await registry.ctx.db
        .selectFrom('log_entry')
        .select('kind')
        .where('kind', 'in', ['org_change_tag_expiration', 'user_change_tag_expiration'])
        .execute();
      expect(logged).toEqual([]);
    } finally {
      await registry.close();
    }
  });
});
