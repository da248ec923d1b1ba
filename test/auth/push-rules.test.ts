import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretBox } from '../../src/auth/secret-box.js';
import { findNamespace } from '../../src/model/namespaces.js';
import { createRobot, revealRobotToken } from '../../src/model/robots.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** Who may push where: namespaces created on push, and repository states READ_ONLY and MIRROR. */

async function pushOutcome(client: RegistryClient, repo: string): Promise<number> {
  try {
    return (await client.pushImage(repo, 'v1', randomImage(1))).status;
  } catch {
    const res = await client.startUpload(repo);
    return res.status;
  }
}

describe.each(testDialects())('push rules (%s)', (dialect) => {
  describe('CREATE_NAMESPACE_ON_PUSH', () => {
    let registry: TestRegistry;
    let alice: RegistryClient;
    let bob: RegistryClient;

    beforeAll(async () => {
      registry = await startTestRegistry({ dialect, overrides: { CREATE_ORGANIZATION_ON_PUSH: true } });
      await registry.createUser('alice', 'alice-password');
      await registry.createUser('bob', 'bob-password');
      const anonymous = new RegistryClient(registry.url);
      alice = anonymous.as(basicAuth('alice', 'alice-password'));
      bob = anonymous.as(basicAuth('bob', 'bob-password'));
    });
    afterAll(() => registry.close());

    it('creates the missing namespace as an organization administered by the pusher', async () => {
      expect(await pushOutcome(alice, 'neworg/app')).toBe(201);
      const org = await findNamespace(registry.ctx.db, 'neworg');
      expect(org?.kind).toBe('organization');
      const owners = await registry.ctx.db
        .selectFrom('team')
        .innerJoin('team_member', 'team_member.team_id', 'team.id')
        .innerJoin('namespace', 'namespace.id', 'team_member.member_id')
        .select(['team.name', 'team.role', 'namespace.name as member'])
        .where('team.organization_id', '=', org!.id)
        .execute();
      expect(owners).toEqual([{ name: 'owners', role: 'admin', member: 'alice' }]);
      expect((await alice.getManifest('neworg/app', 'v1')).status).toBe(200);
    });

    it('does not let others push into the organization someone else created', async () => {
      expect(await pushOutcome(bob, 'neworg/bobs')).toBe(403);
      expect((await bob.getManifest('neworg/app', 'v1')).status).toBe(403);
    });
  });

  describe('without CREATE_NAMESPACE_ON_PUSH', () => {
    let registry: TestRegistry;

    beforeAll(async () => {
      registry = await startTestRegistry({ dialect });
      await registry.createUser('alice', 'alice-password');
    });
    afterAll(() => registry.close());

    it('refuses a push into a namespace that does not exist and creates nothing', async () => {
      const alice = new RegistryClient(registry.url).as(basicAuth('alice', 'alice-password'));
      expect(await pushOutcome(alice, 'ghost/app')).toBe(403);
      expect(await findNamespace(registry.ctx.db, 'ghost')).toBeUndefined();
    });
  });

  describe('repository states', () => {
    let registry: TestRegistry;
    let alice: RegistryClient;
    let mirrorRobot: RegistryClient;
    let otherRobot: RegistryClient;

    async function setState(name: string, state: 'NORMAL' | 'READ_ONLY' | 'MIRROR'): Promise<number> {
      const alice = await findNamespace(registry.ctx.db, 'alice');
      const row = await registry.ctx.db
        .updateTable('repository')
        .set({ state })
        .where('namespace_id', '=', alice!.id)
        .where('name', '=', name)
        .returning('id')
        .executeTakeFirstOrThrow();
      return row.id;
    }

    beforeAll(async () => {
      registry = await startTestRegistry({ dialect });
      await registry.createUser('alice', 'alice-password');
      const owner = (await findNamespace(registry.ctx.db, 'alice'))!;
      const secrets = registry.ctx.secrets;
      const mirror = await createRobot(registry.ctx.db, secrets, { owner, shortname: 'mirror' });
      const other = await createRobot(registry.ctx.db, secrets, { owner, shortname: 'other' });
      const anonymous = new RegistryClient(registry.url);
      alice = anonymous.as(basicAuth('alice', 'alice-password'));
      mirrorRobot = anonymous.as(basicAuth(mirror.name, revealRobotToken(secrets, mirror)));
      otherRobot = anonymous.as(basicAuth(other.name, revealRobotToken(secrets, other)));
      expect(await pushOutcome(alice, 'alice/frozen')).toBe(201);
      expect(await pushOutcome(alice, 'alice/mirrored')).toBe(201);
      await setState('frozen', 'READ_ONLY');
      const mirroredId = await setState('mirrored', 'MIRROR');
      await registry.ctx.db
        .insertInto('repo_mirror_config')
        .values({ repository_id: mirroredId, internal_robot_id: mirror.id, created_at: Date.now() })
        .execute();
      // Both robots hold write permission; a MIRROR repository honours only its mirror robot's.
      await registry.ctx.db
        .insertInto('repository_permission')
        .values([
          { repository_id: mirroredId, member_id: other.id, team_id: null, role: 'write' },
          { repository_id: mirroredId, member_id: mirror.id, team_id: null, role: 'write' },
        ])
        .execute();
    });
    afterAll(() => registry.close());

    it('READ_ONLY refuses the owner\'s pushes but serves pulls', async () => {
      expect(await pushOutcome(alice, 'alice/frozen')).toBe(403);
      expect((await alice.getManifest('alice/frozen', 'v1')).status).toBe(200);
    });

    it('MIRROR accepts pushes from its mirror robot only', async () => {
      expect(await pushOutcome(alice, 'alice/mirrored')).toBe(403);
      expect(await pushOutcome(otherRobot, 'alice/mirrored')).toBe(403);
      expect(await pushOutcome(mirrorRobot, 'alice/mirrored')).toBe(201);
      expect((await alice.getManifest('alice/mirrored', 'v1')).status).toBe(200);
    });

    it('MIRROR refuses its mirror robot once the robot has lost write permission', async () => {
      const mirroredId = (await registry.ctx.db.selectFrom('repo_mirror_config').select('repository_id').executeTakeFirstOrThrow()).repository_id;
      const robotId = (await registry.ctx.db.selectFrom('repo_mirror_config').select('internal_robot_id').executeTakeFirstOrThrow()).internal_robot_id!;
      await registry.ctx.db.updateTable('repository_permission').set({ role: 'read' }).where('repository_id', '=', mirroredId).where('member_id', '=', robotId).execute();
      try {
        expect(await pushOutcome(mirrorRobot, 'alice/mirrored')).toBe(403);
      } finally {
        await registry.ctx.db.updateTable('repository_permission').set({ role: 'write' }).where('repository_id', '=', mirroredId).where('member_id', '=', robotId).execute();
      }
    });

    it('a robot token sealed with another DATABASE_SECRET_KEY does not authenticate', async () => {
      const foreign = createSecretBox('some other key');
      const row = await registry.ctx.db.selectFrom('robot').select('token_encrypted').executeTakeFirstOrThrow();
      expect(foreign.open(row.token_encrypted)).toBeUndefined();
    });
  });
});
