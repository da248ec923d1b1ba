import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessGrant } from '../../src/auth/principal.js';
import { findNamespace, type Namespace } from '../../src/model/namespaces.js';
import { ensureRepository, type RepositoryWithNamespace } from '../../src/model/repositories.js';
import { findRobot } from '../../src/model/robots.js';
import { type ApiClient, anonymousClient, sessionClient, tokenClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { addTeam, createOrganizationBy, createUsers } from '../helpers/fixtures.js';
import { v2Status } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'robots-Pa55word!';
const QUAY_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} -0000$/;
const ROBOT_TOKEN = /^[A-Z0-9]{64}$/;

function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

describe.each(testDialects())('robot accounts API (%s)', (dialect) => {
  let registry: TestRegistry;
  let acme: Namespace;
  let app: RepositoryWithNamespace;
  let publicRepo: RepositoryWithNamespace;
  /** alice: owns user robots; admin of acme (creator of the organization). */
  let alice: ApiClient;
  /** carol: in acme's `readers` team (member role). */
  let carol: ApiClient;
  /** dave: signed in, nothing to do with acme. */
  let dave: ApiClient;
  let anonymous: ApiClient;

  /** GET /v2/auth as a docker client does after `docker login`; the granted access, or the status when refused. */
  async function tokenFlow(username: string, token: string, scope: string): Promise<AccessGrant[] | number> {
    const query = new URLSearchParams({ service: registry.host, scope });
    const response = await fetch(`${registry.url}/v2/auth?${query.toString()}`, {
      headers: { authorization: basicAuth(username, token) },
    });
    const text = await response.text();
    if (response.status !== 200) return response.status;
    return decodeJwt((JSON.parse(text) as { token: string }).token)['access'] as AccessGrant[];
  }

  async function grantPermission(repository: { id: number }, robotName: string, role: 'read' | 'write' | 'admin') {
    const robot = await findRobot(registry.ctx.db, robotName);
    if (!robot) throw new Error(`no robot ${robotName}`);
    await registry.ctx.db
      .insertInto('repository_permission')
      .values({ repository_id: repository.id, member_id: robot.id, team_id: null, role })
      .execute();
    return robot;
  }

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await createUsers(registry, ['alice', 'carol', 'dave'], PASSWORD);
    acme = await createOrganizationBy(registry, 'acme', 'alice');
    await addTeam(registry, acme.id, 'readers', 'member', ['carol']);
    app = await ensureRepository(registry.ctx.db, acme.id, { namespace: 'acme', name: 'app' }, 'private');
    publicRepo = await ensureRepository(registry.ctx.db, acme.id, { namespace: 'acme', name: 'site' }, 'public');
    alice = await sessionClient(registry, 'alice');
    carol = await sessionClient(registry, 'carol');
    dave = await sessionClient(registry, 'dave');
    anonymous = anonymousClient(registry);
  });
  afterAll(async () => {
    await registry?.close();
  });

  describe('user robots', () => {
    it('creates, shows, lists and deletes a robot of the signed-in user', async () => {
      const created = await alice.put('/api/v1/user/robots/builder', {
        description: 'CI builder',
        unstructured_metadata: { pipeline: 'nightly', retries: 2 },
      });
      expect(created.status, created.describe()).toBe(201);
      expect(created.body).toMatchObject({
        name: 'alice+builder',
        description: 'CI builder',
        unstructured_metadata: { pipeline: 'nightly', retries: 2 },
        last_accessed: null,
      });
      expect(created.body.created).toMatch(QUAY_DATE);
      expect(created.body.token).toMatch(ROBOT_TOKEN);

      const shown = await alice.get('/api/v1/user/robots/builder');
      expect(shown.status, shown.describe()).toBe(200);
      expect(shown.body.name).toBe('alice+builder');
      expect(shown.body.token).toBe(created.body.token);
      expect(shown.body.unstructured_metadata).toEqual({ pipeline: 'nightly', retries: 2 });

      const listed = await alice.get('/api/v1/user/robots');
      expect(listed.status, listed.describe()).toBe(200);
      expect(listed.body.robots).toHaveLength(1);
      expect(listed.body.robots[0]).toMatchObject({ name: 'alice+builder', description: 'CI builder', token: created.body.token });
      expect(listed.body.robots[0]).not.toHaveProperty('repositories');

      const again = await alice.put('/api/v1/user/robots/builder', {});
      expect(again.status).toBe(400);
      expect(again.body.error_message).toMatch(/already exists/);

      const deleted = await alice.delete('/api/v1/user/robots/builder');
      expect(deleted.status, deleted.describe()).toBe(204);
      expect((await alice.get('/api/v1/user/robots/builder')).status).toBe(404);
      expect((await alice.delete('/api/v1/user/robots/builder')).status).toBe(404);
      expect((await alice.get('/api/v1/user/robots')).body.robots).toEqual([]);
      expect(await findNamespace(registry.ctx.db, 'alice+builder')).toBeUndefined();
    });

    it('creates a robot without a body, with an empty description and metadata', async () => {
      const created = await alice.request('PUT', '/api/v1/user/robots/bare');
      expect(created.status, created.describe()).toBe(201);
      expect(created.body).toMatchObject({ name: 'alice+bare', description: '', unstructured_metadata: {} });
      expect((await alice.delete('/api/v1/user/robots/bare')).status).toBe(204);
    });

    it('hides tokens with token=false, honours limit, and lists empty permissions with permissions=true', async () => {
      for (const name of ['lista', 'listb', 'listc']) expect((await alice.put(`/api/v1/user/robots/${name}`)).status).toBe(201);
      const hidden = await alice.get('/api/v1/user/robots?token=false');
      expect(hidden.status).toBe(200);
      expect(hidden.body.robots.map((r: { name: string }) => r.name)).toEqual(['alice+lista', 'alice+listb', 'alice+listc']);
      for (const robot of hidden.body.robots) expect(robot).not.toHaveProperty('token');

      const limited = await alice.get('/api/v1/user/robots?limit=2');
      expect(limited.body.robots).toHaveLength(2);
      for (const robot of limited.body.robots) expect(robot.token).toMatch(ROBOT_TOKEN);

      const withPermissions = await alice.get('/api/v1/user/robots?permissions=true');
      expect(withPermissions.body.robots[0]).toMatchObject({ teams: [], repositories: [] });

      expect((await alice.get('/api/v1/user/robots?limit=lots')).status).toBe(400);
      for (const name of ['lista', 'listb', 'listc']) expect((await alice.delete(`/api/v1/user/robots/${name}`)).status).toBe(204);
    });

    it('refuses anonymous callers and OAuth tokens without user:admin; accepts one with it', async () => {
      expect((await anonymous.get('/api/v1/user/robots')).status).toBe(401);
      expect((await anonymous.put('/api/v1/user/robots/nobody')).status).toBe(401);
      expect((await anonymous.get('/api/v1/user/robots/nobody')).status).toBe(401);

      const readOnly = await tokenClient(registry, 'alice', ['user:read', 'repo:admin']);
      expect((await readOnly.get('/api/v1/user/robots')).status).toBe(403);
      expect((await readOnly.put('/api/v1/user/robots/viatoken')).status).toBe(403);
      expect(await findNamespace(registry.ctx.db, 'alice+viatoken')).toBeUndefined();

      const admin = await tokenClient(registry, 'alice', ['user:admin']);
      const created = await admin.put('/api/v1/user/robots/viatoken');
      expect(created.status, created.describe()).toBe(201);
      expect((await admin.get('/api/v1/user/robots')).body.robots.map((r: { name: string }) => r.name)).toContain('alice+viatoken');
      expect((await admin.delete('/api/v1/user/robots/viatoken')).status).toBe(204);
    });

    it("lets each user see only their own robots", async () => {
      expect((await alice.put('/api/v1/user/robots/mine')).status).toBe(201);
      expect((await dave.get('/api/v1/user/robots')).body.robots).toEqual([]);
      expect((await dave.get('/api/v1/user/robots/mine')).status).toBe(404);
      expect((await dave.get('/api/v1/user/robots/alice+mine')).status).toBe(404);
      expect((await dave.delete('/api/v1/user/robots/alice%2Bmine')).status).toBe(404);
      expect((await dave.post('/api/v1/user/robots/alice+mine/regenerate')).status).toBe(404);
      expect(await findRobot(registry.ctx.db, 'alice+mine')).toBeDefined();
      expect((await alice.delete('/api/v1/user/robots/mine')).status).toBe(204);
    });
  });

  describe('organization robots', () => {
    it('lets an organization admin create, show, list and delete robots', async () => {
      const created = await alice.put('/api/v1/organization/acme/robots/deployer', { description: 'deploys' });
      expect(created.status, created.describe()).toBe(201);
      expect(created.body).toMatchObject({ name: 'acme+deployer', description: 'deploys' });
      expect(created.body.token).toMatch(ROBOT_TOKEN);

      const shown = await alice.get('/api/v1/organization/acme/robots/deployer');
      expect(shown.status).toBe(200);
      expect(shown.body.token).toBe(created.body.token);

      const listed = await alice.get('/api/v1/organization/acme/robots');
      expect(listed.status).toBe(200);
      expect(listed.body.robots).toEqual([expect.objectContaining({ name: 'acme+deployer', token: created.body.token })]);

      expect((await alice.delete('/api/v1/organization/acme/robots/deployer')).status).toBe(204);
      expect((await alice.get('/api/v1/organization/acme/robots/deployer')).status).toBe(404);
      expect((await alice.get('/api/v1/organization/acme/robots')).body.robots).toEqual([]);
    });

    it('shows members the list without tokens or permissions, and refuses them everything else', async () => {
      const created = await alice.put('/api/v1/organization/acme/robots/hidden');
      expect(created.status).toBe(201);

      const listed = await carol.get('/api/v1/organization/acme/robots?token=true&permissions=true');
      expect(listed.status, listed.describe()).toBe(200);
      expect(listed.body.robots).toHaveLength(1);
      expect(listed.body.robots[0].name).toBe('acme+hidden');
      expect(listed.body.robots[0]).not.toHaveProperty('token');
      expect(listed.body.robots[0]).not.toHaveProperty('repositories');
      expect(JSON.stringify(listed.body)).not.toContain(created.body.token);

      const refusals = [
        await carol.get('/api/v1/organization/acme/robots/hidden'),
        await carol.put('/api/v1/organization/acme/robots/sneaky'),
        await carol.delete('/api/v1/organization/acme/robots/hidden'),
        await carol.post('/api/v1/organization/acme/robots/hidden/regenerate'),
        await carol.get('/api/v1/organization/acme/robots/hidden/permissions'),
        await carol.get('/api/v1/organization/acme/robots/hidden/credentials'),
      ];
      for (const refused of refusals) {
        expect(refused.status, refused.describe()).toBe(403);
        expect(JSON.stringify(refused.body)).not.toContain(created.body.token);
      }
      expect(await findRobot(registry.ctx.db, 'acme+sneaky')).toBeUndefined();
      const still = await alice.get('/api/v1/organization/acme/robots/hidden');
      expect(still.body.token).toBe(created.body.token);
      expect((await alice.delete('/api/v1/organization/acme/robots/hidden')).status).toBe(204);
    });

    it('refuses outsiders (403) and anonymous callers (401)', async () => {
      expect((await alice.put('/api/v1/organization/acme/robots/guarded')).status).toBe(201);
      for (const response of [
        await dave.get('/api/v1/organization/acme/robots'),
        await dave.get('/api/v1/organization/acme/robots/guarded'),
        await dave.put('/api/v1/organization/acme/robots/intruder'),
        await dave.delete('/api/v1/organization/acme/robots/guarded'),
        await dave.post('/api/v1/organization/acme/robots/guarded/regenerate'),
        await dave.get('/api/v1/organization/acme/robots/guarded/credentials'),
      ]) {
        expect(response.status, response.describe()).toBe(403);
      }
      for (const response of [
        await anonymous.get('/api/v1/organization/acme/robots'),
        await anonymous.get('/api/v1/organization/acme/robots/guarded'),
        await anonymous.put('/api/v1/organization/acme/robots/intruder'),
        await anonymous.delete('/api/v1/organization/acme/robots/guarded'),
      ]) {
        expect(response.status, response.describe()).toBe(401);
        expect(response.body.error_type).toBe('invalid_token');
      }
      expect(await findRobot(registry.ctx.db, 'acme+intruder')).toBeUndefined();
      expect(await findRobot(registry.ctx.db, 'acme+guarded')).toBeDefined();
      expect((await alice.delete('/api/v1/organization/acme/robots/guarded')).status).toBe(204);
    });

    it('needs org:admin on OAuth tokens, even when the user is an organization admin', async () => {
      const weak = await tokenClient(registry, 'alice', ['repo:admin', 'user:admin']);
      expect((await weak.get('/api/v1/organization/acme/robots')).status).toBe(403);
      expect((await weak.put('/api/v1/organization/acme/robots/bytoken')).status).toBe(403);
      expect(await findRobot(registry.ctx.db, 'acme+bytoken')).toBeUndefined();

      const strong = await tokenClient(registry, 'alice', ['org:admin']);
      const created = await strong.put('/api/v1/organization/acme/robots/bytoken');
      expect(created.status, created.describe()).toBe(201);
      const listed = await strong.get('/api/v1/organization/acme/robots');
      expect(listed.body.robots[0].token).toBe(created.body.token);

      const outsiderToken = await tokenClient(registry, 'dave', ['org:admin']);
      expect((await outsiderToken.get('/api/v1/organization/acme/robots/bytoken')).status).toBe(403);
      expect((await strong.delete('/api/v1/organization/acme/robots/bytoken')).status).toBe(204);
    });

    it('answers 404 for unknown organizations and robots, and for robots of another namespace', async () => {
      expect((await alice.put('/api/v1/user/robots/personal')).status).toBe(201);
      expect((await alice.put('/api/v1/organization/acme/robots/shared')).status).toBe(201);

      expect((await alice.get('/api/v1/organization/nosuchorg/robots')).status).toBe(404);
      expect((await alice.put('/api/v1/organization/nosuchorg/robots/bot')).status).toBe(404);
      // a user namespace is not an organization
      expect((await alice.get('/api/v1/organization/alice/robots')).status).toBe(404);
      expect((await alice.get('/api/v1/organization/acme/robots/missing')).status).toBe(404);
      expect((await alice.post('/api/v1/organization/acme/robots/missing/regenerate')).status).toBe(404);
      expect((await alice.get('/api/v1/organization/acme/robots/missing/permissions')).status).toBe(404);
      expect((await alice.get('/api/v1/organization/acme/robots/missing/credentials')).status).toBe(404);

      const crossOrg = await alice.get('/api/v1/organization/acme/robots/alice+personal');
      expect(crossOrg.status).toBe(404);
      expect(crossOrg.body.error_type).toBe('not_found');
      expect((await alice.delete('/api/v1/organization/acme/robots/alice%2Bpersonal')).status).toBe(404);
      expect((await alice.get('/api/v1/user/robots/acme+shared')).status).toBe(404);
      expect((await alice.delete('/api/v1/user/robots/acme%2Bshared')).status).toBe(404);
      expect((await alice.post('/api/v1/user/robots/acme+shared/regenerate')).status).toBe(404);
      expect(await findRobot(registry.ctx.db, 'alice+personal')).toBeDefined();
      expect(await findRobot(registry.ctx.db, 'acme+shared')).toBeDefined();

      expect((await alice.delete('/api/v1/user/robots/personal')).status).toBe(204);
      expect((await alice.delete('/api/v1/organization/acme/robots/shared')).status).toBe(204);
    });
  });

  describe('bad input', () => {
    const badNames = ['UPPER', 'Bot', 'a', 'x'.repeat(256), 'x+y', "a';drop", 'a;drop table namespace', '-lead', 'trail.', 'dou..ble'];

    it.each(badNames)('refuses the shortname %j with a 400 naming the problem', async (name) => {
      for (const path of ['/api/v1/user/robots/', '/api/v1/organization/acme/robots/']) {
        const response = await alice.put(`${path}${encodeURIComponent(name)}`, {});
        expect(response.status, response.describe()).toBe(400);
        expect(response.body.error_type).toBe('invalid_request');
        expect(response.body.error_message).toMatch(/invalid robot account name/);
      }
      expect(await findNamespace(registry.ctx.db, `alice+${name}`)).toBeUndefined();
      expect(await findNamespace(registry.ctx.db, `acme+${name}`)).toBeUndefined();
    });

    it('refuses a robot name whose full name would exceed 255 characters', async () => {
      const response = await alice.put(`/api/v1/organization/acme/robots/${'x'.repeat(252)}`);
      expect(response.status).toBe(400);
      expect(response.body.error_message).toMatch(/longer than 255/);
    });

    it('refuses overlong descriptions and malformed metadata', async () => {
      const long = await alice.put('/api/v1/user/robots/described', { description: 'd'.repeat(256) });
      expect(long.status, long.describe()).toBe(400);
      expect(long.body.error_message).toMatch(/description/);
      const array = await alice.put('/api/v1/user/robots/described', { unstructured_metadata: ['not', 'an', 'object'] });
      expect(array.status).toBe(400);
      const notString = await alice.put('/api/v1/user/robots/described', { description: 42 });
      expect(notString.status).toBe(400);
      const notJson = await alice.request('PUT', '/api/v1/user/robots/described', undefined, {
        'content-type': 'application/json',
      });
      // an empty body with a JSON content type is allowed (Quay's body is optional) ...
      expect(notJson.status).toBe(201);
      expect((await alice.delete('/api/v1/user/robots/described')).status).toBe(204);
      // ... but a body that is not JSON is not
      const garbage = await fetch(`${registry.url}/api/v1/user/robots/garbage`, {
        method: 'PUT',
        headers: {
          'content-type': 'application/json',
          cookie: `quayside_session=${(alice.auth as { session: { cookie: string } }).session.cookie}`,
          'x-csrf-token': (alice.auth as { session: { csrf: string } }).session.csrf,
        },
        body: '{not json',
      });
      expect(garbage.status).toBe(400);
      expect(await findRobot(registry.ctx.db, 'alice+garbage')).toBeUndefined();
      expect(await findRobot(registry.ctx.db, 'alice+described')).toBeUndefined();
    });

    it('accepts a description of exactly 255 characters', async () => {
      const response = await alice.put('/api/v1/user/robots/maxdesc', { description: 'd'.repeat(255) });
      expect(response.status, response.describe()).toBe(201);
      expect(response.body.description).toHaveLength(255);
      expect((await alice.delete('/api/v1/user/robots/maxdesc')).status).toBe(204);
    });
  });

  describe('robots on the registry', () => {
    it('signs in on /v2/ with basic auth and through the token flow; regenerating invalidates the old token at once', async () => {
      const created = await alice.put('/api/v1/organization/acme/robots/puller');
      expect(created.status).toBe(201);
      const oldToken: string = created.body.token;
      await grantPermission(app, 'acme+puller', 'read');

      expect(await v2Status(registry, 'acme+puller', oldToken)).toBe(200);
      expect(await v2Status(registry, 'acme+puller', oldToken, '/v2/acme/app/tags/list')).not.toBe(401);
      expect(await tokenFlow('acme+puller', oldToken, 'repository:acme/app:pull,push')).toEqual([
        { type: 'repository', name: 'acme/app', actions: ['pull'] },
      ]);
      expect(await v2Status(registry, 'acme+puller', 'WRONG'.repeat(12) + 'ABCD')).toBe(401);

      const regenerated = await alice.post('/api/v1/organization/acme/robots/puller/regenerate');
      expect(regenerated.status, regenerated.describe()).toBe(200);
      expect(regenerated.body.name).toBe('acme+puller');
      const newToken: string = regenerated.body.token;
      expect(newToken).toMatch(ROBOT_TOKEN);
      expect(newToken).not.toBe(oldToken);
      expect((await alice.get('/api/v1/organization/acme/robots/puller')).body.token).toBe(newToken);

      expect(await v2Status(registry, 'acme+puller', oldToken)).toBe(401);
      expect(await tokenFlow('acme+puller', oldToken, 'repository:acme/app:pull')).toBe(401);
      expect(await v2Status(registry, 'acme+puller', newToken)).toBe(200);
      expect(await tokenFlow('acme+puller', newToken, 'repository:acme/app:pull')).toEqual([
        { type: 'repository', name: 'acme/app', actions: ['pull'] },
      ]);

      expect((await alice.delete('/api/v1/organization/acme/robots/puller')).status).toBe(204);
      expect(await v2Status(registry, 'acme+puller', newToken)).toBe(401);
    });

    it('regenerates user robot tokens too', async () => {
      const created = await alice.put('/api/v1/user/robots/rotating');
      const regenerated = await alice.post('/api/v1/user/robots/rotating/regenerate');
      expect(regenerated.status).toBe(200);
      expect(regenerated.body.token).not.toBe(created.body.token);
      expect(await v2Status(registry, 'alice+rotating', created.body.token)).toBe(401);
      expect(await v2Status(registry, 'alice+rotating', regenerated.body.token)).toBe(200);
      expect((await alice.delete('/api/v1/user/robots/rotating')).status).toBe(204);
    });

    it('lists permissions and teams, and deleting the robot removes them', async () => {
      expect((await alice.put('/api/v1/organization/acme/robots/worker')).status).toBe(201);
      const robot = await grantPermission(app, 'acme+worker', 'write');
      await grantPermission(publicRepo, 'acme+worker', 'read');
      await addTeam(registry, acme.id, 'builders', 'member', ['acme+worker']);

      const permissions = await alice.get('/api/v1/organization/acme/robots/worker/permissions');
      expect(permissions.status, permissions.describe()).toBe(200);
      expect(permissions.body).toEqual({
        permissions: [
          { repository: { name: 'app', is_public: false }, role: 'write' },
          { repository: { name: 'site', is_public: true }, role: 'read' },
        ],
      });

      const listed = await alice.get('/api/v1/organization/acme/robots?permissions=true');
      const entry = listed.body.robots.find((r: { name: string }) => r.name === 'acme+worker');
      expect(entry.repositories).toEqual(['app', 'site']);
      expect(entry.teams).toEqual([
        { name: 'builders', avatar: expect.objectContaining({ name: 'builders', kind: 'team' }) },
      ]);

      expect(await tokenFlow('acme+worker', (await alice.get('/api/v1/organization/acme/robots/worker')).body.token, 'repository:acme/app:pull,push')).toEqual([
        { type: 'repository', name: 'acme/app', actions: ['pull', 'push'] },
      ]);

      expect((await alice.delete('/api/v1/organization/acme/robots/worker')).status).toBe(204);
      const leftPermissions = await registry.ctx.db
        .selectFrom('repository_permission')
        .select('id')
        .where('member_id', '=', robot.id)
        .execute();
      expect(leftPermissions).toEqual([]);
      const leftMemberships = await registry.ctx.db
        .selectFrom('team_member')
        .select('team_id')
        .where('member_id', '=', robot.id)
        .execute();
      expect(leftMemberships).toEqual([]);
      expect(await registry.ctx.db.selectFrom('robot').select('owner_id').where('namespace_id', '=', robot.id).execute()).toEqual([]);

      // A new robot with the same name starts with nothing.
      expect((await alice.put('/api/v1/organization/acme/robots/worker')).status).toBe(201);
      expect((await alice.get('/api/v1/organization/acme/robots/worker/permissions')).body).toEqual({ permissions: [] });
      expect((await alice.delete('/api/v1/organization/acme/robots/worker')).status).toBe(204);
    });

    it('refuses to delete a robot a repository mirror pushes with', async () => {
      expect((await alice.put('/api/v1/organization/acme/robots/mirror')).status).toBe(201);
      const robot = (await findRobot(registry.ctx.db, 'acme+mirror'))!;
      await registry.ctx.db
        .insertInto('repo_mirror_config')
        .values({ repository_id: publicRepo.id, internal_robot_id: robot.id, created_at: Date.now() })
        .execute();
      const refused = await alice.delete('/api/v1/organization/acme/robots/mirror');
      expect(refused.status).toBe(400);
      expect(refused.body.error_message).toMatch(/mirror/);
      expect(await findRobot(registry.ctx.db, 'acme+mirror')).toBeDefined();
      await registry.ctx.db.deleteFrom('repo_mirror_config').where('repository_id', '=', publicRepo.id).execute();
      expect((await alice.delete('/api/v1/organization/acme/robots/mirror')).status).toBe(204);
    });
  });

  describe('credentials views', () => {
    it('gives login lines, a config.json entry and a Kubernetes secret for the robot', async () => {
      const created = await alice.put('/api/v1/organization/acme/robots/deploy_bot');
      const token: string = created.body.token;
      const response = await alice.get('/api/v1/organization/acme/robots/deploy_bot/credentials');
      expect(response.status, response.describe()).toBe(200);
      const views = response.body;
      expect(views.username).toBe('acme+deploy_bot');
      expect(views.password).toBe(token);
      expect(views.docker_login).toBe(`docker login -u acme+deploy_bot -p ${token} ${registry.host}`);
      expect(views.podman_login).toBe(`podman login -u acme+deploy_bot -p ${token} ${registry.host}`);
      const auth = views.docker_config_json.auths[registry.host].auth as string;
      expect(Buffer.from(auth, 'base64').toString('utf8')).toBe(`acme+deploy_bot:${token}`);

      const yaml: string = views.kubernetes_secret;
      expect(yaml).toContain('kind: Secret');
      expect(yaml).toContain('type: kubernetes.io/dockerconfigjson');
      expect(yaml).toContain('name: acme-deploy-bot-pull-secret');
      const encoded = /\.dockerconfigjson: (\S+)/.exec(yaml)?.[1];
      expect(JSON.parse(Buffer.from(encoded!, 'base64').toString('utf8'))).toEqual(views.docker_config_json);

      // The credentials it hands out work.
      expect(await v2Status(registry, views.username, views.password)).toBe(200);
      expect((await alice.delete('/api/v1/organization/acme/robots/deploy_bot')).status).toBe(204);
    });

    it('serves user robot credentials to their owner', async () => {
      const created = await alice.put('/api/v1/user/robots/laptop');
      const response = await alice.get('/api/v1/user/robots/laptop/credentials');
      expect(response.status).toBe(200);
      expect(response.body.docker_login).toContain(`-u alice+laptop -p ${created.body.token}`);
      expect(response.body.kubernetes_secret).toContain('name: alice-laptop-pull-secret');
      expect((await dave.get('/api/v1/user/robots/laptop/credentials')).status).toBe(404);
      expect((await anonymous.get('/api/v1/user/robots/laptop/credentials')).status).toBe(401);
      expect((await alice.delete('/api/v1/user/robots/laptop')).status).toBe(204);
    });
  });
});

describe.each(testDialects())('robot credentials with SERVER_HOSTNAME (%s)', (dialect) => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry({ dialect, overrides: { SERVER_HOSTNAME: 'registry.example.com' } });
    await registry.createUser('erin', PASSWORD);
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('uses the configured hostname rather than the Host header', async () => {
    const erin = await sessionClient(registry, 'erin');
    const created = await erin.put('/api/v1/user/robots/ci');
    expect(created.status).toBe(201);
    const response = await erin.get('/api/v1/user/robots/ci/credentials');
    expect(response.status).toBe(200);
    expect(response.body.docker_login).toBe(`docker login -u erin+ci -p ${created.body.token} registry.example.com`);
    expect(Object.keys(response.body.docker_config_json.auths)).toEqual(['registry.example.com']);
  });
});
