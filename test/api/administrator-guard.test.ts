import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { createOrganizationBy, createUsers, namespaceId } from '../helpers/fixtures.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** An organization keeps an administrator even when its last two remove each other at the same moment. */
describe.each(testDialects())('administrator guard under concurrency (%s)', (dialect) => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect });
    await createUsers(registry, ['ann', 'ben'], 'guard-password');
  });
  afterAll(() => registry.close());

  async function adminsOf(org: string): Promise<string[]> {
    const rows = await registry.ctx.db
      .selectFrom('team')
      .innerJoin('team_member', 'team_member.team_id', 'team.id')
      .innerJoin('namespace', 'namespace.id', 'team_member.member_id')
      .select('namespace.name')
      .where('team.organization_id', '=', await namespaceId(registry, org))
      .where('team.role', '=', 'admin')
      .execute();
    return rows.map((r) => r.name);
  }

  it.each([1, 2, 3, 4, 5])('lets exactly one of two crossing removals through (round %i)', async (round) => {
    const org = `guard${round}`;
    const organization = await createOrganizationBy(registry, org, 'ann');
    const owners = await registry.ctx.db
      .selectFrom('team')
      .select('id')
      .where('organization_id', '=', organization.id)
      .executeTakeFirstOrThrow();
    await registry.ctx.db.insertInto('team_member').values({ team_id: owners.id, member_id: await namespaceId(registry, 'ben') }).execute();
    const ann = await sessionClient(registry, 'ann');
    const ben = await sessionClient(registry, 'ben');
    const [first, second] = await Promise.all([
      ann.delete(`/api/v1/organization/${org}/team/owners/members/ben`),
      ben.delete(`/api/v1/organization/${org}/team/owners/members/ann`),
    ]);
    const statuses = [first.status, second.status].sort();
    // One removal succeeds; the other is refused because it would leave no administrator (400), or
    // because its caller is no longer an administrator (403).
    expect(statuses[0], `${first.describe()} / ${second.describe()}`).toBe(204);
    expect([400, 403]).toContain(statuses[1]);
    expect(await adminsOf(org)).toHaveLength(1);
  });
});
