import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNamespace } from '../../src/model/namespaces.js';
import { createRobot } from '../../src/model/robots.js';
import { type ApiClient, type ApiResponse, anonymousClient, expectApiError, expectStatus, sessionClient, tokenClient } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { createUsers } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** /api/v1/organization/{org}/team/…, /api/v1/teaminvite/{code}, and what team roles allow on /v2/. */

const PASSWORD = 'team-test-password';

function memberNames(res: ApiResponse): string[] {
  return res.body.members.map((m: { name?: string; email?: string }) => m.name ?? m.email).sort();
}

async function startWithUsers(dialect: 'sqlite' | 'postgres', overrides: Record<string, unknown> = {}) {
  const registry = await startTestRegistry({ dialect, overrides });
  await createUsers(registry, ['alice', 'bob', 'carol', 'dave', 'erin'], PASSWORD);
  return registry;
}

describe.each(testDialects())('teams API (%s)', (dialect) => {
  let registry: TestRegistry;
  let alice: ApiClient;
  let bob: ApiClient;
  let carol: ApiClient;
  let anonymous: ApiClient;

  function v2(user: string): RegistryClient {
    return new RegistryClient(registry.url, basicAuth(user, PASSWORD));
  }

  beforeAll(async () => {
    registry = await startWithUsers(dialect);
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    carol = await sessionClient(registry, 'carol');
    anonymous = anonymousClient(registry);
    expectStatus(await alice.post('/api/v1/organization/', { name: 'acme' }), 201);
    expectStatus(await carol.post('/api/v1/organization/', { name: 'other' }), 201);
  });
  afterAll(async () => {
    await registry.close();
  });

  describe('PUT and DELETE …/team/{teamname}', () => {
    it('creates a team and returns its view', async () => {
      const res = await alice.put('/api/v1/organization/acme/team/devs', { role: 'member', description: 'The devs' });
      expectStatus(res, 200);
      expect(res.body).toEqual({
        name: 'devs',
        description: 'The devs',
        can_view: true,
        role: 'member',
        avatar: expect.objectContaining({ name: 'devs', kind: 'team' }),
        new_team: true,
      });
      const org = await alice.get('/api/v1/organization/acme');
      expect(org.body.ordered_teams).toEqual(['owners', 'devs']);
      expect(org.body.teams.devs).toMatchObject({ role: 'member', description: 'The devs', member_count: 0 });
    });

    it('changes the role and description of an existing team', async () => {
      const res = await alice.put('/api/v1/organization/acme/team/devs', { role: 'creator', description: 'Builders' });
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ role: 'creator', description: 'Builders', new_team: false });
      const back = await alice.put('/api/v1/organization/acme/team/devs', { role: 'member' });
      expect(back.body).toMatchObject({ role: 'member', description: 'Builders' });
    });

    it.each([['Devs'], ['d'], ['two words'], ['dash-'], ['a+b'], ['x'.repeat(256)]])(
      'rejects the team name %j',
      async (name) => {
        expectApiError(await alice.put(`/api/v1/organization/acme/team/${encodeURIComponent(name)}`, { role: 'member' }), 400);
      },
    );

    it('accepts the team names Quay accepts', async () => {
      for (const name of ['qa', 'release.managers', 'on_call', 'ops-2']) {
        expectStatus(await alice.put(`/api/v1/organization/acme/team/${name}`, { role: 'member' }), 200);
        expectStatus(await alice.delete(`/api/v1/organization/acme/team/${name}`), 204);
      }
    });

    it('rejects bad or missing roles', async () => {
      expectApiError(await alice.put('/api/v1/organization/acme/team/badrole', { role: 'owner' }), 400);
      expectApiError(await alice.put('/api/v1/organization/acme/team/badrole', {}), 400);
      expectApiError(await alice.put('/api/v1/organization/acme/team/badrole', { role: 'member', description: 7 }), 400);
      expect((await alice.get('/api/v1/organization/acme')).body.teams).not.toHaveProperty('badrole');
    });

    it('refuses non-administrators, anonymous callers and tokens without org:admin', async () => {
      expectApiError(await carol.put('/api/v1/organization/acme/team/intruders', { role: 'admin' }), 403);
      expectApiError(await anonymous.put('/api/v1/organization/acme/team/intruders', { role: 'admin' }), 401);
      const noScope = await tokenClient(registry, 'alice', ['user:admin', 'repo:admin']);
      expectApiError(await noScope.put('/api/v1/organization/acme/team/intruders', { role: 'admin' }), 403);
      expectApiError(await noScope.delete('/api/v1/organization/acme/team/devs'), 403);
      expect((await alice.get('/api/v1/organization/acme')).body.teams).not.toHaveProperty('intruders');
      const withScope = await tokenClient(registry, 'alice', ['org:admin']);
      expectStatus(await withScope.put('/api/v1/organization/acme/team/tokenteam', { role: 'member' }), 200);
      expectStatus(await withScope.delete('/api/v1/organization/acme/team/tokenteam'), 204);
    });

    it('answers 404 for unknown organizations and teams', async () => {
      expectApiError(await alice.put('/api/v1/organization/nowhere/team/devs', { role: 'member' }), 404);
      expectApiError(await alice.delete('/api/v1/organization/acme/team/ghosts'), 404);
      expectApiError(await alice.get('/api/v1/organization/acme/team/ghosts/members'), 404);
      expectApiError(await alice.get('/api/v1/organization/acme/team/ghosts/permissions'), 404);
    });

    it('deletes a team with its memberships', async () => {
      expectStatus(await alice.put('/api/v1/organization/acme/team/temp', { role: 'creator' }), 200);
      expectStatus(await alice.put('/api/v1/organization/acme/team/temp/members/dave'), 200);
      expectApiError(await carol.delete('/api/v1/organization/acme/team/temp'), 403);
      expectStatus(await alice.delete('/api/v1/organization/acme/team/temp'), 204);
      expect((await alice.get('/api/v1/organization/acme')).body.teams).not.toHaveProperty('temp');
      const dave = await sessionClient(registry, 'dave');
      expect((await dave.get('/api/v1/organization/acme')).body.is_member).toBe(false);
    });
  });

  describe('team members', () => {
    beforeAll(async () => {
      expectStatus(await alice.put('/api/v1/organization/acme/team/crew', { role: 'member' }), 200);
      const acme = await findNamespace(registry.ctx.db, 'acme');
      const other = await findNamespace(registry.ctx.db, 'other');
      await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: acme!, shortname: 'deployer' });
      await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: other!, shortname: 'spy' });
    });

    it('adds users directly when mail is off, and robots of the organization', async () => {
      const res = await alice.put('/api/v1/organization/acme/team/crew/members/bob');
      expectStatus(res, 200);
      expect(res.body).toMatchObject({ name: 'bob', kind: 'user', is_robot: false, invited: false });
      const robot = await alice.put('/api/v1/organization/acme/team/crew/members/acme+deployer');
      expectStatus(robot, 200);
      expect(robot.body).toMatchObject({ name: 'acme+deployer', is_robot: true, avatar: { kind: 'robot' } });
      const list = await alice.get('/api/v1/organization/acme/team/crew/members?includePending=true');
      expectStatus(list, 200);
      expect(list.body).toMatchObject({ name: 'crew', can_edit: true });
      expect(memberNames(list)).toEqual(['acme+deployer', 'bob']);
      expect((await bob.get('/api/v1/organization/acme')).body.is_member).toBe(true);
    });

    it('rejects robots of other namespaces, unknown users, organizations and duplicates', async () => {
      expectApiError(await alice.put('/api/v1/organization/acme/team/crew/members/other+spy'), 400, /does not belong/);
      expectApiError(await alice.put('/api/v1/organization/acme/team/crew/members/nobody'), 400);
      expectApiError(await alice.put('/api/v1/organization/acme/team/crew/members/other'), 400);
      expectApiError(await alice.put('/api/v1/organization/acme/team/crew/members/bob'), 400, /already a member/);
      expectApiError(await alice.put('/api/v1/organization/acme/team/nosuch/members/bob'), 404);
    });

    it('lets team members list their team, but not other teams, and not edit', async () => {
      const own = await bob.get('/api/v1/organization/acme/team/crew/members?includePending=true');
      expectStatus(own, 200);
      expect(own.body.can_edit).toBe(false);
      expect(memberNames(own)).toEqual(['acme+deployer', 'bob']);
      expectApiError(await bob.get('/api/v1/organization/acme/team/owners/members'), 403);
      expectApiError(await bob.get('/api/v1/organization/acme/team/ghosts/members'), 403);
      expectApiError(await carol.get('/api/v1/organization/acme/team/crew/members'), 403);
      expectApiError(await anonymous.get('/api/v1/organization/acme/team/crew/members'), 401);
      const noScope = await tokenClient(registry, 'bob', ['repo:read', 'user:read']);
      expectApiError(await noScope.get('/api/v1/organization/acme/team/crew/members'), 403);
      expectApiError(await bob.put('/api/v1/organization/acme/team/crew/members/carol'), 403);
      expectApiError(await bob.delete('/api/v1/organization/acme/team/crew/members/acme+deployer'), 403);
    });

    it('removes members, and answers 404 for unknown or absent ones', async () => {
      expectStatus(await alice.delete('/api/v1/organization/acme/team/crew/members/acme+deployer'), 204);
      expect(memberNames(await alice.get('/api/v1/organization/acme/team/crew/members'))).toEqual(['bob']);
      expectApiError(await alice.delete('/api/v1/organization/acme/team/crew/members/acme+deployer'), 404);
      expectApiError(await alice.delete('/api/v1/organization/acme/team/crew/members/nobody'), 404);
      expectApiError(await alice.delete('/api/v1/organization/acme/team/crew/members/carol'), 404);
    });

    it('refuses e-mail invitations while FEATURE_MAILING is off', async () => {
      expectApiError(
        await alice.put('/api/v1/organization/acme/team/crew/invite/someone@example.com'),
        400,
        /FEATURE_MAILING/,
      );
      const invites = await registry.ctx.db.selectFrom('team_invite').select('id').execute();
      expect(invites).toEqual([]);
    });
  });

  describe('team permissions', () => {
    beforeAll(async () => {
      expectStatus(await alice.put('/api/v1/organization/acme/team/readers', { role: 'member' }), 200);
      await v2('alice').pushImage('acme/perm-app', 'latest', randomImage(1));
      const repo = await registry.ctx.db
        .selectFrom('repository')
        .select('id')
        .where('name', '=', 'perm-app')
        .executeTakeFirstOrThrow();
      const team = await registry.ctx.db
        .selectFrom('team')
        .select('id')
        .where('name', '=', 'readers')
        .executeTakeFirstOrThrow();
      await registry.ctx.db
        .insertInto('repository_permission')
        .values({ repository_id: repo.id, member_id: null, team_id: team.id, role: 'read' })
        .execute();
    });

    it("lists a team's repository permissions for administrators", async () => {
      const res = await alice.get('/api/v1/organization/acme/team/readers/permissions');
      expectStatus(res, 200);
      expect(res.body).toEqual({ permissions: [{ repository: { name: 'perm-app', is_public: false }, role: 'read' }] });
      expect((await alice.get('/api/v1/organization/acme')).body.teams.readers.repo_count).toBe(1);
    });

    it('hides them from others', async () => {
      expectApiError(await bob.get('/api/v1/organization/acme/team/readers/permissions'), 403);
      expectApiError(await anonymous.get('/api/v1/organization/acme/team/readers/permissions'), 401);
    });
  });

  describe('keeping an administrator', () => {
    beforeAll(async () => {
      expectStatus(await alice.post('/api/v1/organization/', { name: 'solo' }), 201);
    });

    it('refuses to remove the last administrator, delete the last admin team or demote it', async () => {
      expectApiError(await alice.delete('/api/v1/organization/solo/team/owners/members/alice'), 400, /administrator/);
      expectApiError(await alice.delete('/api/v1/organization/solo/team/owners'), 400, /administrator/);
      expectApiError(await alice.put('/api/v1/organization/solo/team/owners', { role: 'creator' }), 400, /administrator/);
      const org = await alice.get('/api/v1/organization/solo');
      expect(org.body).toMatchObject({ is_admin: true });
      expect(org.body.teams.owners).toMatchObject({ role: 'admin', member_count: 1 });
    });

    it('does not count robots as administrators', async () => {
      const solo = await findNamespace(registry.ctx.db, 'solo');
      await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: solo!, shortname: 'keeper' });
      expectStatus(await alice.put('/api/v1/organization/solo/team/owners/members/solo+keeper'), 200);
      expectApiError(await alice.delete('/api/v1/organization/solo/team/owners/members/alice'), 400);
    });

    it('lets another administrator take over, but not an administrator drop their own last admin team', async () => {
      expectStatus(await alice.put('/api/v1/organization/solo/team/owners/members/bob'), 200);
      expectApiError(await alice.delete('/api/v1/organization/solo/team/owners/members/alice'), 400, /your own/);
      expectStatus(await bob.delete('/api/v1/organization/solo/team/owners/members/alice'), 204);
      expect((await alice.get('/api/v1/organization/solo')).body.is_admin).toBe(false);
      expectApiError(await bob.delete('/api/v1/organization/solo/team/owners/members/bob'), 400);
    });
  });

  describe('team roles on /v2/', () => {
    beforeAll(async () => {
      expectStatus(await alice.post('/api/v1/organization/', { name: 'roles' }), 201);
      for (const [team, role, member] of [
        ['makers', 'creator', 'carol'],
        ['viewers', 'member', 'dave'],
        ['admins', 'admin', 'erin'],
      ] as const) {
        expectStatus(await alice.put(`/api/v1/organization/roles/team/${team}`, { role }), 200);
        expectStatus(await alice.put(`/api/v1/organization/roles/team/${team}/members/${member}`), 200);
      }
      await v2('alice').pushImage('roles/existing', 'v1', randomImage(1));
    });

    it('lets a creator-team member push a new repository into the organization', async () => {
      const res = await v2('carol').pushImage('roles/by-carol', 'v1', randomImage(1));
      expect(res.status).toBe(201);
      expect((await v2('carol').getManifest('roles/by-carol', 'v1')).status).toBe(200);
    });

    it('does not let a member-team member create repositories', async () => {
      const client = v2('dave');
      const image = randomImage(1);
      const upload = await client.uploadPostPut('roles/by-dave', image.blobs[0]!);
      expect([401, 403], upload.describe()).toContain(upload.status);
      const manifest = await client.putManifest('roles/by-dave', 'v1', image.manifest);
      expect([401, 403], manifest.describe()).toContain(manifest.status);
      const exists = await registry.ctx.db.selectFrom('repository').select('id').where('name', '=', 'by-dave').execute();
      expect(exists).toEqual([]);
    });

    it('does not let creator or member teams write to repositories they hold no permission on', async () => {
      for (const user of ['carol', 'dave']) {
        const res = await v2(user).uploadPostPut('roles/existing', randomImage(1).blobs[0]!);
        expect([401, 403], res.describe()).toContain(res.status);
      }
    });

    it('lets an admin-team member push to any repository of the organization', async () => {
      const res = await v2('erin').pushImage('roles/existing', 'v2', randomImage(1));
      expect(res.status).toBe(201);
      expect((await v2('erin').pushImage('roles/by-erin', 'v1', randomImage(1))).status).toBe(201);
    });

    it('stops granting pushes once the member leaves the team', async () => {
      expectStatus(await alice.delete('/api/v1/organization/roles/team/admins/members/erin'), 204);
      const res = await v2('erin').uploadPostPut('roles/existing', randomImage(1).blobs[0]!);
      expect([401, 403], res.describe()).toContain(res.status);
    });
  });
});

describe.each(testDialects())('team invitations with FEATURE_MAILING (%s)', (dialect) => {
  let registry: TestRegistry;
  let alice: ApiClient;
  let bob: ApiClient;
  let carol: ApiClient;

  async function inviteToken(filter: { user?: string; email?: string }): Promise<string> {
    let query = registry.ctx.db.selectFrom('team_invite').select('token');
    if (filter.user) query = query.where('user_id', '=', (await findNamespace(registry.ctx.db, filter.user))!.id);
    if (filter.email) query = query.where('email', '=', filter.email);
    return (await query.executeTakeFirstOrThrow()).token;
  }

  beforeAll(async () => {
    registry = await startWithUsers(dialect, { FEATURE_MAILING: true });
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    carol = await sessionClient(registry, 'carol');
    expectStatus(await alice.post('/api/v1/organization/', { name: 'acme', email: 'acme@example.com' }), 201);
    for (const team of ['crew', 'ops']) {
      expectStatus(await alice.put(`/api/v1/organization/acme/team/${team}`, { role: 'member' }), 200);
    }
  });
  afterAll(async () => {
    await registry.close();
  });

  it('requires an e-mail address for new organizations', async () => {
    expectApiError(await alice.post('/api/v1/organization/', { name: 'nomail' }), 400, /e-mail/);
  });

  it('invites users who are not yet in the organization', async () => {
    const res = await alice.put('/api/v1/organization/acme/team/crew/members/bob');
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ name: 'bob', invited: true });
    expectStatus(await alice.put('/api/v1/organization/acme/team/ops/members/bob'), 200);
    const pending = await alice.get('/api/v1/organization/acme/team/crew/members?includePending=true');
    expect(pending.body.members).toEqual([expect.objectContaining({ name: 'bob', invited: true })]);
    const withoutPending = await alice.get('/api/v1/organization/acme/team/crew/members');
    expect(withoutPending.body.members).toEqual([]);
    expect((await bob.get('/api/v1/organization/acme')).body.is_member).toBe(false);
  });

  it('lets only the invited user accept, joining every team they were invited to', async () => {
    const token = await inviteToken({ user: 'bob' });
    expectApiError(await carol.put(`/api/v1/teaminvite/${token}`), 400, /bob/);
    expectApiError(await anonymousClient(registry).put(`/api/v1/teaminvite/${token}`), 401);
    expectApiError(await bob.put('/api/v1/teaminvite/not-a-code'), 404);
    const res = await bob.put(`/api/v1/teaminvite/${token}`);
    expectStatus(res, 200);
    expect(res.body).toEqual({ org: 'acme', team: expect.stringMatching(/^(crew|ops)$/) });
    expect(memberNames(await alice.get('/api/v1/organization/acme/team/crew/members'))).toEqual(['bob']);
    expect(memberNames(await alice.get('/api/v1/organization/acme/team/ops/members'))).toEqual(['bob']);
    expect(await registry.ctx.db.selectFrom('team_invite').select('id').execute()).toEqual([]);
    expectApiError(await bob.put(`/api/v1/teaminvite/${token}`), 404);
  });

  it('adds existing organization members directly', async () => {
    expectStatus(await alice.put('/api/v1/organization/acme/team/tools', { role: 'member' }), 200);
    const res = await alice.put('/api/v1/organization/acme/team/tools/members/bob');
    expect(res.body).toMatchObject({ name: 'bob', invited: false });
  });

  it('invites by e-mail, and accepts for the account with that address', async () => {
    const res = await alice.put('/api/v1/organization/acme/team/crew/invite/carol@example.com');
    expectStatus(res, 200);
    expect(res.body).toEqual({
      email: 'carol@example.com',
      kind: 'invite',
      avatar: expect.objectContaining({ kind: 'user' }),
      invited: true,
    });
    expectApiError(await alice.put('/api/v1/organization/acme/team/crew/invite/not-an-address'), 400);
    const token = await inviteToken({ email: 'carol@example.com' });
    const dave = await sessionClient(registry, 'dave');
    expectApiError(await dave.put(`/api/v1/teaminvite/${token}`), 400);
    expectStatus(await carol.put(`/api/v1/teaminvite/${token}`), 200);
    expect(memberNames(await alice.get('/api/v1/organization/acme/team/crew/members'))).toEqual(['bob', 'carol']);
  });

  it('withdraws invitations by e-mail and by user', async () => {
    expectStatus(await alice.put('/api/v1/organization/acme/team/crew/invite/later@example.com'), 200);
    expectApiError(await bob.delete('/api/v1/organization/acme/team/crew/invite/later@example.com'), 403);
    expectStatus(await alice.delete('/api/v1/organization/acme/team/crew/invite/later@example.com'), 204);
    expectApiError(await alice.delete('/api/v1/organization/acme/team/crew/invite/later@example.com'), 404);

    expect((await alice.put('/api/v1/organization/acme/team/ops/members/dave')).body.invited).toBe(true);
    expectStatus(await alice.delete('/api/v1/organization/acme/team/ops/members/dave'), 204);
    const pending = await alice.get('/api/v1/organization/acme/team/ops/members?includePending=true');
    expect(memberNames(pending)).toEqual(['bob']);
  });

  it('lets the invited user decline', async () => {
    expect((await alice.put('/api/v1/organization/acme/team/ops/members/erin')).body.invited).toBe(true);
    const token = await inviteToken({ user: 'erin' });
    expectApiError(await carol.delete(`/api/v1/teaminvite/${token}`), 400);
    const erin = await sessionClient(registry, 'erin');
    expectStatus(await erin.delete(`/api/v1/teaminvite/${token}`), 204);
    expect(await registry.ctx.db.selectFrom('team_invite').select('id').execute()).toEqual([]);
    expect((await erin.get('/api/v1/organization/acme')).body.is_member).toBe(false);
  });
});
