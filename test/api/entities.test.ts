import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNamespace, type Namespace } from '../../src/model/namespaces.js';
import { createRobot } from '../../src/model/robots.js';
import { type ApiClient, type ApiResponse, anonymousClient, expectApiError, sessionClient, tokenClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { addTeam, createOrganizationBy, createUsers } from '../helpers/fixtures.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'entity-Pa55word!';

interface Entity {
  name: string;
  kind: string;
  is_robot?: boolean;
  is_org_member?: boolean;
  avatar: { name: string; kind: string; hash: string; color: string };
}

function results(res: ApiResponse): Entity[] {
  expect(res.status, res.describe()).toBe(200);
  return res.body.results as Entity[];
}

function names(res: ApiResponse): string[] {
  return results(res).map((e) => e.name);
}

describe.each(testDialects())('entity search API (%s)', (dialect) => {
  let registry: TestRegistry;
  let acme: Namespace;
  /** alice: admin of acme, owner of robot alice+abot. */
  let alice: ApiClient;
  /** alfred: in acme's `alpha` team (member role). */
  let alfred: ApiClient;
  /** bob: nothing to do with acme. */
  let bob: ApiClient;

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await createUsers(registry, ['alice', 'alfred', 'bob', 'x_y', 'xay', 'x-y'], PASSWORD);
    acme = await createOrganizationBy(registry, 'acme', 'alice');
    await addTeam(registry, acme.id, 'alpha', 'member', ['alfred']);
    await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: acme, shortname: 'alpharobot' });
    await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: (await findNamespace(registry.ctx.db, 'alice'))!, shortname: 'abot' });
    alice = await sessionClient(registry, 'alice');
    alfred = await sessionClient(registry, 'alfred');
    bob = await sessionClient(registry, 'bob');
  });

  afterAll(async () => {
    await registry?.close();
  });

  it('finds users by prefix, without robots or teams when no namespace is given', async () => {
    const found = results(await bob.get('/api/v1/entities/al'));
    expect(found.map((e) => e.name)).toEqual(['alfred', 'alice']);
    expect(found[0]).toMatchObject({ name: 'alfred', kind: 'user', is_robot: false });
    expect(found[0]!.avatar).toMatchObject({ name: 'alfred', kind: 'user' });
    expect(found[0]!.is_org_member).toBeUndefined();
  });

  it('is case-insensitive on the prefix and ignores spaces', async () => {
    expect(names(await bob.get('/api/v1/entities/AL%20I'))).toEqual(['alice']);
  });

  it('for an organization member: its robots, its teams (includeTeams) and membership flags', async () => {
    const found = results(await alfred.get('/api/v1/entities/al?namespace=acme&includeTeams=true'));
    expect(found.map((e) => `${e.kind}:${e.name}`)).toEqual(['team:alpha', 'user:alfred', 'user:alice', 'user:acme+alpharobot']);
    const byName = new Map(found.map((e) => [e.name, e]));
    expect(byName.get('alpha')).toMatchObject({ kind: 'team', is_org_member: true });
    expect(byName.get('alfred')!.is_org_member).toBe(true);
    expect(byName.get('alice')!.is_org_member).toBe(true);
    expect(byName.get('acme+alpharobot')).toMatchObject({ is_robot: true, is_org_member: true });
    expect(byName.get('acme+alpharobot')!.avatar.kind).toBe('robot');
  });

  it('leaves teams out unless includeTeams, and marks non-members', async () => {
    const found = results(await alice.get('/api/v1/entities/b?namespace=acme'));
    expect(found.map((e) => e.name)).toEqual(['bob']);
    expect(found[0]!.is_org_member).toBe(false);
    expect(names(await alice.get('/api/v1/entities/alp?namespace=acme'))).toEqual(['acme+alpharobot']);
  });

  it('matches robots by their full name too', async () => {
    expect(names(await alice.get('/api/v1/entities/acme%2Bal?namespace=acme'))).toEqual(['acme+alpharobot']);
  });

  it('shows outsiders no robots or teams of an organization', async () => {
    const found = results(await bob.get('/api/v1/entities/al?namespace=acme&includeTeams=true&includeOrgs=true'));
    expect(found.map((e) => e.name)).toEqual(['alfred', 'alice']);
  });

  it('includeOrgs adds the organization for its admins only', async () => {
    const admin = results(await alice.get('/api/v1/entities/ac?namespace=acme&includeOrgs=true'));
    expect(admin.find((e) => e.kind === 'org')).toMatchObject({ name: 'acme', is_org_member: true });
    const member = results(await alfred.get('/api/v1/entities/ac?namespace=acme&includeOrgs=true'));
    expect(member.find((e) => e.kind === 'org')).toBeUndefined();
  });

  it("shows a user's own robots in their own namespace, and nobody else's", async () => {
    expect(names(await alice.get('/api/v1/entities/ab?namespace=alice'))).toEqual(['alice+abot']);
    expect(names(await bob.get('/api/v1/entities/ab?namespace=alice'))).toEqual([]);
    const readToken = await tokenClient(registry, 'alice', ['repo:read']);
    expect(names(await readToken.get('/api/v1/entities/ab?namespace=alice'))).toEqual([]);
  });

  it('takes LIKE wildcards in the prefix literally', async () => {
    expect(names(await bob.get('/api/v1/entities/x_'))).toEqual(['x_y']);
    expect(names(await bob.get('/api/v1/entities/x%25'))).toEqual([]);
    expect(names(await bob.get('/api/v1/entities/%25'))).toEqual([]);
    expect(names(await bob.get('/api/v1/entities/_'))).toEqual([]);
    expect(names(await bob.get(`/api/v1/entities/${encodeURIComponent('\\')}`))).toEqual([]);
    expect(names(await bob.get('/api/v1/entities/x'))).toEqual(['x-y', 'x_y', 'xay']);
  });

  it('treats SQL in the prefix as text', async () => {
    expect(names(await bob.get(`/api/v1/entities/${encodeURIComponent("a' OR '1'='1")}`))).toEqual([]);
    expect(names(await bob.get(`/api/v1/entities/${encodeURIComponent("'; drop table namespace; --")}`))).toEqual([]);
    expect(names(await bob.get('/api/v1/entities/bo'))).toEqual(['bob']);
  });

  it('refuses overlong prefixes and namespaces (400)', async () => {
    expectApiError(await bob.get(`/api/v1/entities/${'a'.repeat(300)}`), 400);
    expectApiError(await bob.get(`/api/v1/entities/a?namespace=${'n'.repeat(300)}`), 400);
  });

  it('returns at most 20 results (10 users at most)', async () => {
    for (let i = 0; i < 15; i++) {
      const name = `bulk${String(i).padStart(2, '0')}`;
      await registry.createUser(name, PASSWORD);
      await addTeam(registry, acme.id, `bulkteam${String(i).padStart(2, '0')}`, 'member', []);
    }
    const users = results(await alice.get('/api/v1/entities/bulk'));
    expect(users).toHaveLength(10);
    const all = results(await alice.get('/api/v1/entities/bulk?namespace=acme&includeTeams=true'));
    expect(all).toHaveLength(20);
    expect(all.filter((e) => e.kind === 'team')).toHaveLength(15);
  });

  it('needs a signed-in caller (401)', async () => {
    expectApiError(await anonymousClient(registry).get('/api/v1/entities/al'), 401);
  });
});
