import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNamespace, type Namespace } from '../../src/model/namespaces.js';
import { createRobot, revealRobotToken } from '../../src/model/robots.js';
import { type ApiClient, anonymousClient, expectApiError, expectStatus, sessionClient, tokenClient } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { addTeam, createOrganizationBy, createUsers, namespaceId } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'perms-Pa55word!';

describe.each(testDialects())('repository permissions API (%s)', (dialect) => {
  let registry: TestRegistry;
  let acme: Namespace;
  /** alice: owns her namespace, admin of organization acme. */
  let alice: ApiClient;
  /** bob: an unrelated user unless a test grants him something. */
  let bob: ApiClient;
  let anonymous: ApiClient;
  let aliceRobotToken: string;
  let acmeRobotToken: string;

  function v2(username: string, password = PASSWORD): RegistryClient {
    return new RegistryClient(registry.url, basicAuth(username, password));
  }

  /** A new repository `namespace/<prefix>-xxxx` with one tag v1 pushed by alice. */
  async function pushedRepository(prefix: string, namespace = 'alice'): Promise<string> {
    const repo = `${namespace}/${prefix}-${randomBytes(4).toString('hex')}`;
    await v2('alice').pushImage(repo, 'v1', randomImage(1));
    return repo;
  }

  async function canPull(client: RegistryClient, repo: string): Promise<boolean> {
    const res = await client.getManifest(repo, 'v1');
    if (res.status !== 200) expect([401, 403, 404], res.describe()).toContain(res.status);
    return res.status === 200;
  }

  async function canPush(client: RegistryClient, repo: string): Promise<boolean> {
    const res = await client.startUpload(repo);
    if (res.status !== 202) expect([401, 403, 404], res.describe()).toContain(res.status);
    return res.status === 202;
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await createUsers(registry, ['alice', 'bob', 'carol', 'dave'], PASSWORD);
    acme = await createOrganizationBy(registry, 'acme', 'alice');
    await addTeam(registry, acme.id, 'devs', 'member', ['carol']);
    await addTeam(registry, acme.id, 'empty', 'member', []);
    const aliceNs = (await findNamespace(registry.ctx.db, 'alice'))!;
    const aliceRobot = await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: aliceNs, shortname: 'bot' });
    aliceRobotToken = revealRobotToken(registry.ctx.secrets, aliceRobot);
    const acmeRobot = await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: acme, shortname: 'ci' });
    acmeRobotToken = revealRobotToken(registry.ctx.secrets, acmeRobot);
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    anonymous = anonymousClient(registry);
  });

  afterAll(async () => {
    await registry?.close();
  });

  describe('user permissions', () => {
    it('lists the creator as admin, without is_org_member outside organizations', async () => {
      const repo = await pushedRepository('listed');
      const res = await alice.get(`/api/v1/repository/${repo}/permissions/user/`);
      expectStatus(res);
      expect(Object.keys(res.body.permissions)).toEqual(['alice']);
      expect(res.body.permissions.alice).toMatchObject({ role: 'admin', name: 'alice', is_robot: false });
      expect(res.body.permissions.alice.avatar).toMatchObject({ name: 'alice', kind: 'user' });
      expect(res.body.permissions.alice.is_org_member).toBeUndefined();
    });

    it('read lets a user pull but not push; write lets them push; revoking takes access away', async () => {
      const repo = await pushedRepository('granted');
      expect(await canPull(v2('bob'), repo)).toBe(false);

      const read = await alice.put(`/api/v1/repository/${repo}/permissions/user/bob`, { role: 'read' });
      expectStatus(read);
      expect(read.body).toMatchObject({ role: 'read', name: 'bob', is_robot: false });
      expect(await canPull(v2('bob'), repo)).toBe(true);
      expect(await canPush(v2('bob'), repo)).toBe(false);

      const got = await alice.get(`/api/v1/repository/${repo}/permissions/user/bob`);
      expectStatus(got);
      expect(got.body.role).toBe('read');

      expectStatus(await alice.put(`/api/v1/repository/${repo}/permissions/user/bob`, { role: 'write' }));
      expect(await canPush(v2('bob'), repo)).toBe(true);
      await v2('bob').pushImage(repo, 'by-bob', randomImage(1));

      const removed = await alice.delete(`/api/v1/repository/${repo}/permissions/user/bob`);
      expect(removed.status, removed.describe()).toBe(204);
      expect(await canPull(v2('bob'), repo)).toBe(false);
      expectApiError(await alice.get(`/api/v1/repository/${repo}/permissions/user/bob`), 404);
      const list = await alice.get(`/api/v1/repository/${repo}/permissions/user/`);
      expect(Object.keys(list.body.permissions)).toEqual(['alice']);
    });

    it('admin lets a user manage permissions themselves', async () => {
      const repo = await pushedRepository('delegated');
      expectApiError(await bob.get(`/api/v1/repository/${repo}/permissions/user/`), 403);
      expectStatus(await alice.put(`/api/v1/repository/${repo}/permissions/user/bob`, { role: 'admin' }));
      expectStatus(await bob.get(`/api/v1/repository/${repo}/permissions/user/`));
      expectStatus(await bob.put(`/api/v1/repository/${repo}/permissions/user/dave`, { role: 'read' }));
      expect(await canPull(v2('dave'), repo)).toBe(true);
    });

    it('robots of the namespace can be granted rights and use them on /v2/', async () => {
      const repo = await pushedRepository('robotic');
      expect(await canPull(v2('alice+bot', aliceRobotToken), repo)).toBe(false);
      const res = await alice.put(`/api/v1/repository/${repo}/permissions/user/alice+bot`, { role: 'write' });
      expectStatus(res);
      expect(res.body).toMatchObject({ role: 'write', name: 'alice+bot', is_robot: true });
      expect(res.body.avatar.kind).toBe('robot');
      await v2('alice+bot', aliceRobotToken).pushImage(repo, 'robot', randomImage(1));
      const list = await alice.get(`/api/v1/repository/${repo}/permissions/user/`);
      expect(list.body.permissions['alice+bot']).toMatchObject({ role: 'write', is_robot: true });
    });

    it('refuses robots of other namespaces (400)', async () => {
      const repo = await pushedRepository('foreign');
      const res = await alice.put(`/api/v1/repository/${repo}/permissions/user/acme+ci`, { role: 'read' });
      expectApiError(res, 400);
      expect(res.body.error_message).toBe(`Cannot add robot acme+ci under namespace alice`);
      expect(await canPull(v2('acme+ci', acmeRobotToken), repo)).toBe(false);
    });

    it('the namespace owner always stays admin (400 on change or removal)', async () => {
      const repo = await pushedRepository('owner');
      const change = await alice.put(`/api/v1/repository/${repo}/permissions/user/alice`, { role: 'read' });
      expectApiError(change, 400);
      expect(change.body.error_message).toBe('Namespace owner must always be admin.');
      expectApiError(await alice.delete(`/api/v1/repository/${repo}/permissions/user/alice`), 400);
      expect(await canPush(v2('alice'), repo)).toBe(true);
    });

    it('refuses unknown users, organizations and missing permissions (400), and unknown reads (404)', async () => {
      const repo = await pushedRepository('unknowns');
      const unknown = await alice.put(`/api/v1/repository/${repo}/permissions/user/nobody`, { role: 'read' });
      expectApiError(unknown, 400);
      expect(unknown.body.error_message).toBe('Invalid username: nobody');
      expectApiError(await alice.put(`/api/v1/repository/${repo}/permissions/user/acme`, { role: 'read' }), 400);
      const absent = await alice.delete(`/api/v1/repository/${repo}/permissions/user/bob`);
      expectApiError(absent, 400);
      expect(absent.body.error_message).toBe('User does not have permission for repo.');
      expectApiError(await alice.get(`/api/v1/repository/${repo}/permissions/user/nobody`), 404);
      expectApiError(await alice.get(`/api/v1/repository/${repo}/permissions/user/bob`), 404);
    });

    it.each([
      ['an unknown role', { role: 'owner' }],
      ['a missing role', {}],
      ['a role of the wrong type', { role: 3 }],
    ])('refuses %s (400)', async (_what, body) => {
      const repo = await pushedRepository('badrole');
      expectApiError(await alice.put(`/api/v1/repository/${repo}/permissions/user/bob`, body), 400);
      expect(await canPull(v2('bob'), repo)).toBe(false);
    });

    it.each([
      ['SQL', "bob' OR '1'='1"],
      ['a wildcard', 'b%'],
      ['300 characters', 'b'.repeat(300)],
    ])('treats a username with %s as unknown (400/404)', async (_what, username) => {
      const repo = await pushedRepository('sqlish');
      const path = `/api/v1/repository/${repo}/permissions/user/${encodeURIComponent(username)}`;
      expectApiError(await alice.put(path, { role: 'admin' }), 400);
      expectApiError(await alice.get(path), 404);
      expectApiError(await alice.delete(path), 400);
      const list = await alice.get(`/api/v1/repository/${repo}/permissions/user/`);
      expect(Object.keys(list.body.permissions)).toEqual(['alice']);
    });
  });

  describe('transitive permissions', () => {
    it('lists direct and team roles; 404 when there are none or the user is unknown', async () => {
      const repo = await pushedRepository('transitive', 'acme');
      expectStatus(await alice.put(`/api/v1/repository/${repo}/permissions/user/carol`, { role: 'write' }));
      expectStatus(await alice.put(`/api/v1/repository/${repo}/permissions/team/devs`, { role: 'read' }));
      const carol = await alice.get(`/api/v1/repository/${repo}/permissions/user/carol/transitive`);
      expectStatus(carol);
      expect(carol.body.permissions.map((p: { role: string }) => p.role).sort()).toEqual(['read', 'write']);
      expectApiError(await alice.get(`/api/v1/repository/${repo}/permissions/user/dave/transitive`), 404);
      expectApiError(await alice.get(`/api/v1/repository/${repo}/permissions/user/nobody/transitive`), 404);
      expectApiError(await bob.get(`/api/v1/repository/${repo}/permissions/user/carol/transitive`), 403);
    });
  });

  describe('team permissions', () => {
    it('a team permission reaches its members on /v2/ and goes away when removed', async () => {
      const repo = await pushedRepository('teamed', 'acme');
      expect(await canPull(v2('carol'), repo)).toBe(false);

      const put = await alice.put(`/api/v1/repository/${repo}/permissions/team/devs`, { role: 'write' });
      expectStatus(put);
      expect(put.body).toMatchObject({ role: 'write', name: 'devs' });
      expect(put.body.avatar.kind).toBe('team');
      expect(await canPull(v2('carol'), repo)).toBe(true);
      expect(await canPush(v2('carol'), repo)).toBe(true);
      expect(await canPull(v2('dave'), repo)).toBe(false);

      const list = await alice.get(`/api/v1/repository/${repo}/permissions/team/`);
      expectStatus(list);
      expect(list.body.permissions).toEqual({ devs: { role: 'write', name: 'devs', avatar: expect.any(Object) } });
      const got = await alice.get(`/api/v1/repository/${repo}/permissions/team/devs`);
      expect(got.body).toEqual({ role: 'write' });

      expectStatus(await alice.put(`/api/v1/repository/${repo}/permissions/team/devs`, { role: 'read' }));
      expect(await canPush(v2('carol'), repo)).toBe(false);
      expect(await canPull(v2('carol'), repo)).toBe(true);

      expect((await alice.delete(`/api/v1/repository/${repo}/permissions/team/devs`)).status).toBe(204);
      expect(await canPull(v2('carol'), repo)).toBe(false);
      expectApiError(await alice.get(`/api/v1/repository/${repo}/permissions/team/devs`), 404);
      const again = await alice.delete(`/api/v1/repository/${repo}/permissions/team/devs`);
      expectApiError(again, 400);
      expect(again.body.error_message).toBe('Team does not have permission for repo.');
    });

    it('refuses unknown teams and teams on a user\'s repository (400)', async () => {
      const orgRepo = await pushedRepository('noteam', 'acme');
      const unknown = await alice.put(`/api/v1/repository/${orgRepo}/permissions/team/ghosts`, { role: 'read' });
      expectApiError(unknown, 400);
      expect(unknown.body.error_message).toBe('No team ghosts in organization acme');
      const userRepo = await pushedRepository('userteam');
      expectApiError(await alice.put(`/api/v1/repository/${userRepo}/permissions/team/devs`, { role: 'read' }), 400);
      expectApiError(await alice.put(`/api/v1/repository/${orgRepo}/permissions/team/devs`, { role: 'superuser' }), 400);
      expectApiError(
        await alice.put(`/api/v1/repository/${orgRepo}/permissions/team/${encodeURIComponent("devs'; --")}`, { role: 'read' }),
        400,
      );
    });

    it('in an organization, users carry is_org_member and robots count as members', async () => {
      const repo = await pushedRepository('members', 'acme');
      expectStatus(await alice.put(`/api/v1/repository/${repo}/permissions/user/carol`, { role: 'read' }));
      expectStatus(await alice.put(`/api/v1/repository/${repo}/permissions/user/bob`, { role: 'read' }));
      const robot = await alice.put(`/api/v1/repository/${repo}/permissions/user/acme+ci`, { role: 'read' });
      expect(robot.body.is_org_member).toBe(true);
      const list = await alice.get(`/api/v1/repository/${repo}/permissions/user/`);
      expect(list.body.permissions.carol.is_org_member).toBe(true);
      expect(list.body.permissions.bob.is_org_member).toBe(false);
      expect(list.body.permissions.alice.is_org_member).toBe(true);
      expect(await canPull(v2('acme+ci', acmeRobotToken), repo)).toBe(true);
    });
  });

  describe('who may manage permissions', () => {
    let repo: string;
    beforeAll(async () => {
      repo = await pushedRepository('guarded');
      await registry.ctx.db
        .insertInto('repository_permission')
        .values({
          repository_id: (await registry.ctx.db
            .selectFrom('repository')
            .select('id')
            .where('name', '=', repo.slice('alice/'.length))
            .executeTakeFirstOrThrow()).id,
          member_id: await namespaceId(registry, 'dave'),
          team_id: null,
          role: 'write',
        })
        .execute();
    });

    const routes: Array<[string, string, unknown]> = [
      ['GET', '/permissions/user/', undefined],
      ['GET', '/permissions/user/bob', undefined],
      ['PUT', '/permissions/user/bob', { role: 'read' }],
      ['DELETE', '/permissions/user/dave', undefined],
      ['GET', '/permissions/user/dave/transitive', undefined],
      ['GET', '/permissions/team/', undefined],
      ['PUT', '/permissions/team/devs', { role: 'read' }],
    ];

    it.each(routes)('%s %s: writers and outsiders 403, anonymous 401, tokens without repo:admin 403', async (method, suffix, body) => {
      const dave = await sessionClient(registry, 'dave');
      const writeToken = await tokenClient(registry, 'alice', ['repo:read', 'repo:write']);
      expectApiError(await dave.request(method, `/api/v1/repository/${repo}${suffix}`, body), 403);
      expectApiError(await bob.request(method, `/api/v1/repository/${repo}${suffix}`, body), 403);
      expectApiError(await anonymous.request(method, `/api/v1/repository/${repo}${suffix}`, body), 401);
      expectApiError(await writeToken.request(method, `/api/v1/repository/${repo}${suffix}`, body), 403);
      expect(await canPull(v2('bob'), repo)).toBe(false);
      expect(await canPush(v2('dave'), repo)).toBe(true);
    });

    it('a token with repo:admin may manage them', async () => {
      const adminToken = await tokenClient(registry, 'alice', ['repo:admin']);
      expectStatus(await adminToken.get(`/api/v1/repository/${repo}/permissions/user/`));
      expectStatus(await adminToken.put(`/api/v1/repository/${repo}/permissions/user/carol`, { role: 'read' }));
      expect(await canPull(v2('carol'), repo)).toBe(true);
    });

    it('unknown repositories are 404', async () => {
      expectApiError(await alice.get('/api/v1/repository/alice/nothing-here/permissions/user/'), 404);
      expectApiError(await alice.put('/api/v1/repository/alice/nothing-here/permissions/user/bob', { role: 'read' }), 404);
      expectApiError(await alice.get('/api/v1/repository/nobody/nothing/permissions/team/'), 404);
    });
  });
});
