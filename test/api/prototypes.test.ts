import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNamespace, type Namespace } from '../../src/model/namespaces.js';
import { createRobot } from '../../src/model/robots.js';
import { type ApiClient, anonymousClient, expectApiError, expectStatus, sessionClient, tokenClient } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { addTeam, createOrganizationBy, createUsers } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'proto-Pa55word!';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PREFIX = '/api/v1/organization/acme/prototypes';

describe.each(testDialects())('default permissions (prototypes) API (%s)', (dialect) => {
  let registry: TestRegistry;
  let acme: Namespace;
  /** alice: creator and admin of acme. */
  let alice: ApiClient;
  /** bob: not in acme; delegate of the "anyone" prototypes. */
  let bob: ApiClient;
  /** carol: in acme's `devs` team (member role). */
  let carol: ApiClient;
  let anonymous: ApiClient;

  function v2(username: string): RegistryClient {
    return new RegistryClient(registry.url, basicAuth(username, PASSWORD));
  }

  async function deleteAllPrototypes(): Promise<void> {
    await registry.ctx.db.deleteFrom('default_permission').execute();
  }

  function roles(permissions: Record<string, { role: string }>): Record<string, string> {
    return Object.fromEntries(Object.entries(permissions).map(([name, p]) => [name, p.role]));
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await createUsers(registry, ['alice', 'bob', 'carol', 'dave', 'erin'], PASSWORD);
    acme = await createOrganizationBy(registry, 'acme', 'alice');
    await addTeam(registry, acme.id, 'devs', 'member', ['carol']);
    await addTeam(registry, acme.id, 'builders', 'creator', ['dave', 'erin']);
    await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: acme, shortname: 'ci' });
    await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: (await findNamespace(registry.ctx.db, 'alice'))!, shortname: 'bot' });
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    carol = await sessionClient(registry, 'carol');
    anonymous = anonymousClient(registry);
  });

  afterAll(async () => {
    await registry?.close();
  });

  describe('managing prototypes', () => {
    it('creates, lists, updates and deletes prototypes in Quay\'s shape', async () => {
      await deleteAllPrototypes();
      const created = await alice.post(PREFIX, { role: 'write', delegate: { name: 'bob', kind: 'user' } });
      expectStatus(created);
      expect(created.body).toMatchObject({
        activating_user: null,
        delegate: { name: 'bob', kind: 'user', is_robot: false, is_org_member: false },
        role: 'write',
      });
      expect(created.body.id).toMatch(UUID);
      expect(created.body.delegate.avatar).toMatchObject({ name: 'bob', kind: 'user' });

      const team = await alice.post(PREFIX, { role: 'read', delegate: { name: 'devs', kind: 'team' } });
      expect(team.body.delegate).toEqual({ name: 'devs', kind: 'team', avatar: expect.objectContaining({ kind: 'team' }) });

      const robot = await alice.post(PREFIX, { role: 'write', delegate: { name: 'acme+ci', kind: 'user' } });
      expect(robot.body.delegate).toMatchObject({ name: 'acme+ci', kind: 'user', is_robot: true, is_org_member: true });

      const specific = await alice.post(PREFIX, {
        role: 'admin',
        delegate: { name: 'carol', kind: 'user' },
        activating_user: { name: 'erin' },
      });
      expect(specific.body.activating_user).toMatchObject({ name: 'erin', is_robot: false, is_org_member: true });
      expect(specific.body.delegate).toMatchObject({ name: 'carol', is_org_member: true });

      const list = await alice.get(PREFIX);
      expectStatus(list);
      expect(list.body.prototypes.map((p: { id: string }) => p.id)).toEqual([
        created.body.id,
        team.body.id,
        robot.body.id,
        specific.body.id,
      ]);

      const updated = await alice.put(`${PREFIX}/${created.body.id}`, { role: 'admin' });
      expectStatus(updated);
      expect(updated.body).toMatchObject({ id: created.body.id, role: 'admin', delegate: { name: 'bob' } });

      expect((await alice.delete(`${PREFIX}/${created.body.id}`)).status).toBe(204);
      expectApiError(await alice.delete(`${PREFIX}/${created.body.id}`), 404);
      expectApiError(await alice.put(`${PREFIX}/${created.body.id}`, { role: 'read' }), 404);
      expect((await alice.get(PREFIX)).body.prototypes).toHaveLength(3);
    });

    it.each([
      ['an unknown role', { role: 'owner', delegate: { name: 'bob', kind: 'user' } }],
      ['a robot delegate kind', { role: 'read', delegate: { name: 'acme+ci', kind: 'robot' } }],
      ['no delegate', { role: 'read' }],
      ['an unknown delegate user', { role: 'read', delegate: { name: 'nobody', kind: 'user' } }],
      ['an unknown team', { role: 'read', delegate: { name: 'ghosts', kind: 'team' } }],
      ['an organization as delegate', { role: 'read', delegate: { name: 'acme', kind: 'user' } }],
      ["another namespace's robot", { role: 'read', delegate: { name: 'alice+bot', kind: 'user' } }],
      ['an unknown activating user', { role: 'read', delegate: { name: 'bob', kind: 'user' }, activating_user: { name: 'nobody' } }],
      ['SQL in the name', { role: 'read', delegate: { name: "bob' OR '1'='1", kind: 'user' } }],
      ['an overlong name', { role: 'read', delegate: { name: 'b'.repeat(300), kind: 'user' } }],
    ])('refuses %s (400)', async (_what, body) => {
      await deleteAllPrototypes();
      expectApiError(await alice.post(PREFIX, body), 400);
      expect((await alice.get(PREFIX)).body.prototypes).toEqual([]);
    });

    it('refuses an unknown role on update (400) and unknown prototype ids (404)', async () => {
      await deleteAllPrototypes();
      const created = await alice.post(PREFIX, { role: 'read', delegate: { name: 'bob', kind: 'user' } });
      expectApiError(await alice.put(`${PREFIX}/${created.body.id}`, { role: 'root' }), 400);
      expectApiError(await alice.put(`${PREFIX}/not-a-uuid`, { role: 'read' }), 404);
      expectApiError(await alice.delete(`${PREFIX}/${encodeURIComponent("x' OR 1=1 --")}`), 404);
      expect((await alice.get(PREFIX)).body.prototypes[0].role).toBe('read');
    });

    it('needs an organization admin: members and outsiders 403, anonymous 401, tokens without org:admin 403', async () => {
      await deleteAllPrototypes();
      const body = { role: 'read', delegate: { name: 'bob', kind: 'user' } };
      const existing = await alice.post(PREFIX, body);
      for (const client of [carol, bob, await tokenClient(registry, 'alice', ['repo:admin', 'user:admin'])]) {
        expectApiError(await client.get(PREFIX), 403);
        expectApiError(await client.post(PREFIX, body), 403);
        expectApiError(await client.put(`${PREFIX}/${existing.body.id}`, { role: 'admin' }), 403);
        expectApiError(await client.delete(`${PREFIX}/${existing.body.id}`), 403);
      }
      expectApiError(await anonymous.get(PREFIX), 401);
      expectApiError(await anonymous.post(PREFIX, body), 401);
      const orgToken = await tokenClient(registry, 'alice', ['org:admin']);
      expectStatus(await orgToken.get(PREFIX));
      expect((await alice.get(PREFIX)).body.prototypes).toEqual([expect.objectContaining({ role: 'read' })]);
    });

    it('unknown organizations and user namespaces are 404', async () => {
      expectApiError(await alice.get('/api/v1/organization/no-such-org/prototypes'), 404);
      expectApiError(await alice.get('/api/v1/organization/alice/prototypes'), 404);
    });
  });

  describe('applying prototypes to new repositories', () => {
    beforeAll(async () => {
      await deleteAllPrototypes();
      for (const body of [
        { role: 'write', delegate: { name: 'bob', kind: 'user' } },
        { role: 'read', delegate: { name: 'devs', kind: 'team' } },
        { role: 'write', delegate: { name: 'acme+ci', kind: 'user' } },
        { role: 'admin', delegate: { name: 'carol', kind: 'user' }, activating_user: { name: 'erin' } },
      ]) {
        expectStatus(await alice.post(PREFIX, body));
      }
    });

    it('POST /api/v1/repository applies the prototypes for any creator', async () => {
      const name = `api-${randomBytes(4).toString('hex')}`;
      expectStatus(await alice.post('/api/v1/repository', { repository: name, visibility: 'private', namespace: 'acme' }), 201);
      const users = await alice.get(`/api/v1/repository/acme/${name}/permissions/user/`);
      expect(roles(users.body.permissions)).toEqual({ alice: 'admin', bob: 'write', 'acme+ci': 'write' });
      const teams = await alice.get(`/api/v1/repository/acme/${name}/permissions/team/`);
      expect(roles(teams.body.permissions)).toEqual({ devs: 'read' });

      await v2('alice').pushImage(`acme/${name}`, 'v1', randomImage(1));
      await v2('bob').pushImage(`acme/${name}`, 'by-bob', randomImage(1));
      expect((await v2('carol').getManifest(`acme/${name}`, 'v1')).status).toBe(200);
      expect([401, 403]).toContain((await v2('carol').startUpload(`acme/${name}`)).status);
    });

    it('a /v2/ push that creates a repository applies them too, including creator-specific ones', async () => {
      const repo = `acme/pushed-${randomBytes(4).toString('hex')}`;
      await v2('erin').pushImage(repo, 'v1', randomImage(1));
      const users = await alice.get(`/api/v1/repository/${repo}/permissions/user/`);
      expect(roles(users.body.permissions)).toEqual({ erin: 'admin', bob: 'write', 'acme+ci': 'write', carol: 'admin' });
      // carol's admin comes from the prototype for erin; through it she may push and administer.
      await v2('carol').pushImage(repo, 'by-carol', randomImage(1));
      expectStatus(await carol.get(`/api/v1/repository/${repo}/permissions/user/`));
    });

    it('creator-specific prototypes do not apply to other creators', async () => {
      const repo = `acme/other-${randomBytes(4).toString('hex')}`;
      await v2('dave').pushImage(repo, 'v1', randomImage(1));
      const users = await alice.get(`/api/v1/repository/${repo}/permissions/user/`);
      expect(roles(users.body.permissions)).toEqual({ dave: 'admin', bob: 'write', 'acme+ci': 'write' });
      expect([401, 403]).toContain((await v2('carol').startUpload(repo)).status);
    });

    it('prototypes do not reach repositories outside the organization', async () => {
      const repo = `dave/own-${randomBytes(4).toString('hex')}`;
      await v2('dave').pushImage(repo, 'v1', randomImage(1));
      const users = await (await sessionClient(registry, 'dave')).get(`/api/v1/repository/${repo}/permissions/user/`);
      expect(roles(users.body.permissions)).toEqual({ dave: 'admin' });
    });
  });
});
