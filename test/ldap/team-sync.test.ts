import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LdapDirectory } from '../../src/auth/ldap/index.js';
import type { QuaysideConfig } from '../../src/config/load.js';
import { createRobot } from '../../src/model/robots.js';
import { findTeamSync, isTeamSynced } from '../../src/model/team-sync.js';
import { startTeamSyncWorker, TeamSyncWorker } from '../../src/workers/team-sync.js';
import { anonymousClient, sessionClient, tokenClient } from '../helpers/api.js';
import { type TestDialect, testDialects } from '../helpers/databases.js';
import { createOrganizationBy, namespaceId } from '../helpers/fixtures.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { ldapConfig, slapdAvailable, startSlapd, type TestSlapd } from '../helpers/slapd.js';

/** Teams synchronized with LDAP groups: the syncing API and the worker, against a real slapd. */

const RUN = slapdAvailable();
const SILENT = pino({ level: 'silent' });

let slapd: TestSlapd;
beforeAll(async () => {
  if (RUN) slapd = await startSlapd();
});
afterAll(async () => {
  await slapd?.stop();
});

interface Fixture {
  registry: TestRegistry;
  teamIds: Record<string, number>;
  robotId: number;
}

/**
 * Organization `acme` created by `owner` (an org admin, not a superuser), with `root` (a superuser
 * from SUPER_USERS) also in the owners team, and teams devs, ops and plain. `outsider` is in no
 * team of acme; devs starts with `outsider2` and the robot acme+bot as members.
 */
async function startFixture(dialect: TestDialect, extra: Record<string, unknown>): Promise<Fixture> {
  const registry = await startTestRegistry({
    dialect,
    overrides: ldapConfig(slapd, { FEATURE_TEAM_SYNCING: true, SUPER_USERS: ['root'], ...extra }),
  });
  for (const name of ['root', 'owner', 'outsider', 'outsider2']) await registry.createUser(name, `${name}-password`);
  const db = registry.ctx.db;
  const organization = await createOrganizationBy(registry, 'acme', 'owner');
  const owners = await db
    .selectFrom('team')
    .select('id')
    .where('organization_id', '=', organization.id)
    .where('name', '=', 'owners')
    .executeTakeFirstOrThrow();
  await db.insertInto('team_member').values({ team_id: owners.id, member_id: await namespaceId(registry, 'root') }).execute();
  const teamIds: Record<string, number> = {};
  for (const name of ['devs', 'ops', 'plain']) {
    const team = await db
      .insertInto('team')
      .values({ organization_id: organization.id, name, role: 'member', description: `${name} team`, created_at: Date.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    teamIds[name] = team.id;
  }
  const robot = await createRobot(db, registry.ctx.secrets, { owner: organization, shortname: 'bot' });
  const robotId = await namespaceId(registry, robot.name);
  await db
    .insertInto('team_member')
    .values([
      { team_id: teamIds['devs']!, member_id: robotId },
      { team_id: teamIds['devs']!, member_id: await namespaceId(registry, 'outsider2') },
    ])
    .execute();
  return { registry, teamIds, robotId };
}

async function memberNames(registry: TestRegistry, teamId: number): Promise<string[]> {
  const rows = await registry.ctx.db
    .selectFrom('team_member')
    .innerJoin('namespace', 'namespace.id', 'team_member.member_id')
    .select('namespace.name')
    .where('team_member.team_id', '=', teamId)
    .orderBy('namespace.name')
    .execute();
  return rows.map((row) => row.name);
}

function worker(registry: TestRegistry, configChanges: Partial<QuaysideConfig> = {}): TeamSyncWorker {
  const directory = registry.ctx.directory;
  if (!(directory instanceof LdapDirectory)) throw new Error('the test registry has no LDAP directory');
  return new TeamSyncWorker({
    db: registry.ctx.db,
    config: { ...registry.ctx.config, ...configChanges },
    directory,
    log: SILENT,
  });
}

/** Makes every synced team due for a resync. */
async function makeStale(registry: TestRegistry): Promise<void> {
  await registry.ctx.db.updateTable('team_sync').set({ last_updated: 0 }).execute();
}

const SYNCING = (team: string) => `/api/v1/organization/acme/team/${team}/syncing`;

describe.skipIf(!RUN).each(testDialects())('team syncing API (%s)', (dialect) => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture(dialect, {});
  });
  afterAll(async () => {
    await fx?.registry.close();
  });

  it('lets a superuser who administers the organization sync a team to a group', async () => {
    const root = await sessionClient(fx.registry, 'root');
    const res = await root.post(SYNCING('devs'), { group_dn: 'cn=devs,ou=groups' });
    expect(res.status, res.describe()).toBe(200);
    expect(res.body).toMatchObject({ name: 'devs', role: 'member', description: 'devs team', avatar: { kind: 'team' } });
    expect(await isTeamSynced(fx.registry.ctx.db, fx.teamIds['devs']!)).toBe(true);
    const sync = await findTeamSync(fx.registry.ctx.db, fx.teamIds['devs']!);
    expect(sync).toMatchObject({ service: 'ldap', last_updated: null });
    expect(JSON.parse(sync!.config)).toEqual({ group_dn: 'cn=devs,ou=groups' });
  });

  it('accepts a full group DN as well as one relative to the base DN', async () => {
    const root = await sessionClient(fx.registry, 'root');
    const res = await root.post(SYNCING('ops'), { group_dn: 'cn=ops,ou=groups,dc=example,dc=org' });
    expect(res.status, res.describe()).toBe(200);
    expect(await isTeamSynced(fx.registry.ctx.db, fx.teamIds['ops']!)).toBe(true);
  });

  it('refuses an organization administrator who is not a superuser', async () => {
    const owner = await sessionClient(fx.registry, 'owner');
    const res = await owner.post(SYNCING('plain'), { group_dn: 'cn=devs,ou=groups' });
    expect(res.status, res.describe()).toBe(403);
    expect((await owner.delete(SYNCING('devs'))).status).toBe(403);
    expect(await isTeamSynced(fx.registry.ctx.db, fx.teamIds['plain']!)).toBe(false);
  });

  it('refuses users outside the organization and anonymous callers', async () => {
    const outsider = await sessionClient(fx.registry, 'outsider');
    expect((await outsider.post(SYNCING('plain'), { group_dn: 'cn=devs,ou=groups' })).status).toBe(403);
    expect((await anonymousClient(fx.registry).post(SYNCING('plain'), { group_dn: 'cn=devs,ou=groups' })).status).toBe(401);
  });

  it('needs super:user on an OAuth token', async () => {
    const narrow = await tokenClient(fx.registry, 'root', ['org:admin']);
    expect((await narrow.post(SYNCING('plain'), { group_dn: 'cn=devs,ou=groups' })).status).toBe(403);
    const full = await tokenClient(fx.registry, 'root', ['org:admin', 'super:user']);
    const res = await full.post(SYNCING('plain'), { group_dn: 'cn=devs,ou=groups' });
    expect(res.status, res.describe()).toBe(200);
    expect((await full.delete(SYNCING('plain'))).status).toBe(200);
  });

  it('rejects a missing, unknown or malformed group with 400', async () => {
    const root = await sessionClient(fx.registry, 'root');
    const missing = await root.post(SYNCING('plain'), {});
    expect(missing.status).toBe(400);
    expect(missing.body.error_message).toBe('Could not sync to group: Missing group_dn');
    const unknown = await root.post(SYNCING('plain'), { group_dn: 'cn=nope,ou=groups' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error_message).toBe('Could not sync to group: Group does not exist or is empty');
    expect((await root.post(SYNCING('plain'), { group_dn: 42 })).status).toBe(400);
    expect((await root.post(SYNCING('plain'), { group_dn: 'cn=(*)' })).status).toBe(400);
    expect(await isTeamSynced(fx.registry.ctx.db, fx.teamIds['plain']!)).toBe(false);
  });

  it('answers 404 for an unknown team or organization', async () => {
    const root = await sessionClient(fx.registry, 'root');
    expect((await root.post(SYNCING('ghosts'), { group_dn: 'cn=devs,ou=groups' })).status).toBe(404);
    const res = await root.post('/api/v1/organization/nowhere/team/devs/syncing', { group_dn: 'cn=devs,ou=groups' });
    expect(res.status).toBe(404);
  });

  it('stops syncing on DELETE, keeping the members', async () => {
    const root = await sessionClient(fx.registry, 'root');
    await root.post(SYNCING('plain'), { group_dn: 'cn=devs,ou=groups' });
    expect(await isTeamSynced(fx.registry.ctx.db, fx.teamIds['plain']!)).toBe(true);
    const res = await root.delete(SYNCING('plain'));
    expect(res.status, res.describe()).toBe(200);
    expect(res.body).toMatchObject({ name: 'plain' });
    expect(await isTeamSynced(fx.registry.ctx.db, fx.teamIds['plain']!)).toBe(false);
  });
});

describe.skipIf(!RUN).each(testDialects())('team syncing setup by non-superusers (%s)', (dialect) => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture(dialect, { FEATURE_NONSUPERUSER_TEAM_SYNCING_SETUP: true });
  });
  afterAll(async () => {
    await fx?.registry.close();
  });

  it('lets any organization administrator set it up, but still not outsiders', async () => {
    const owner = await sessionClient(fx.registry, 'owner');
    const res = await owner.post(SYNCING('devs'), { group_dn: 'cn=devs,ou=groups' });
    expect(res.status, res.describe()).toBe(200);
    expect(await isTeamSynced(fx.registry.ctx.db, fx.teamIds['devs']!)).toBe(true);
    const outsider = await sessionClient(fx.registry, 'outsider');
    expect((await outsider.delete(SYNCING('devs'))).status).toBe(403);
    expect((await owner.delete(SYNCING('devs'))).status).toBe(200);
    expect(await isTeamSynced(fx.registry.ctx.db, fx.teamIds['devs']!)).toBe(false);
  });
});

describe.skipIf(!RUN).each(testDialects())('team sync worker (%s)', (dialect) => {
  let fx: Fixture;
  beforeAll(async () => {
    fx = await startFixture(dialect, { TEAM_RESYNC_STALE_TIME: '30m' });
    const root = await sessionClient(fx.registry, 'root');
    for (const [team, group] of [
      ['devs', 'cn=devs,ou=groups'],
      ['ops', 'cn=ops,ou=groups'],
    ]) {
      const res = await root.post(SYNCING(team!), { group_dn: group });
      if (res.status !== 200) throw new Error(res.describe());
    }
  });
  beforeEach(async () => {
    if (RUN) await slapd.setGroupMembers('devs', ['alice', 'bob']);
  });
  afterAll(async () => {
    await fx?.registry.close();
  });

  it('adds the group members (creating their accounts), removes other users, keeps robots', async () => {
    expect(await memberNames(fx.registry, fx.teamIds['devs']!)).toEqual(['acme+bot', 'outsider2']);
    const result = await worker(fx.registry).runOnce();
    expect(result.synced).toBe(2);
    expect(await memberNames(fx.registry, fx.teamIds['devs']!)).toEqual(['acme+bot', 'alice', 'bob']);
    const sync = await findTeamSync(fx.registry.ctx.db, fx.teamIds['devs']!);
    expect(sync?.last_updated).toBeGreaterThan(Date.now() - 60_000);
    expect(sync?.transaction_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('reads groupOfUniqueNames members from the group entry (no memberOf overlay)', async () => {
    expect(await memberNames(fx.registry, fx.teamIds['ops']!)).toEqual(['carol', 'sam']);
  });

  it('leaves teams alone until TEAM_RESYNC_STALE_TIME has passed', async () => {
    await slapd.setGroupMembers('devs', ['alice']);
    expect((await worker(fx.registry).runOnce()).synced).toBe(0);
    expect(await memberNames(fx.registry, fx.teamIds['devs']!)).toEqual(['acme+bot', 'alice', 'bob']);
  });

  it('follows group changes on the next stale run', async () => {
    await slapd.setGroupMembers('devs', ['alice', 'carol']);
    await makeStale(fx.registry);
    const before = (await findTeamSync(fx.registry.ctx.db, fx.teamIds['devs']!))?.transaction_id;
    expect((await worker(fx.registry).runOnce()).synced).toBe(2);
    expect(await memberNames(fx.registry, fx.teamIds['devs']!)).toEqual(['acme+bot', 'alice', 'carol']);
    expect((await findTeamSync(fx.registry.ctx.db, fx.teamIds['devs']!))?.transaction_id).not.toBe(before);
  });

  it('skips members without an account when FEATURE_USER_CREATION is off', async () => {
    await slapd.setGroupMembers('devs', ['alice', 'dave']);
    await makeStale(fx.registry);
    await worker(fx.registry, { FEATURE_USER_CREATION: false }).runOnce();
    expect(await memberNames(fx.registry, fx.teamIds['devs']!)).toEqual(['acme+bot', 'alice']);
    expect(await fx.registry.ctx.db.selectFrom('namespace').select('id').where('name', '=', 'dave').executeTakeFirst()).toBeUndefined();
  });

  it('does not change a team when the directory cannot be reached', async () => {
    await makeStale(fx.registry);
    const broken = new LdapDirectory(
      { ...fx.registry.ctx.config, LDAP_URI: 'ldap://127.0.0.1:1', LDAP_NETWORK_TIMEOUT: 1 },
      fx.registry.ctx.db,
    );
    const result = await new TeamSyncWorker({
      db: fx.registry.ctx.db,
      config: fx.registry.ctx.config,
      directory: broken,
      log: SILENT,
    }).runOnce();
    expect(result.synced).toBe(0);
    expect(await memberNames(fx.registry, fx.teamIds['devs']!)).toEqual(['acme+bot', 'alice']);
    expect((await findTeamSync(fx.registry.ctx.db, fx.teamIds['devs']!))?.last_updated).toBe(0);
  });

  it('is started by startTeamSyncWorker only when FEATURE_TEAM_SYNCING is on', async () => {
    const started = startTeamSyncWorker({ ...fx.registry.ctx, log: SILENT }, 60_000);
    expect(started).toBeInstanceOf(TeamSyncWorker);
    await started?.stop();
    const off = startTeamSyncWorker({ ...fx.registry.ctx, config: { ...fx.registry.ctx.config, FEATURE_TEAM_SYNCING: false } });
    expect(off).toBeUndefined();
  });

  it('runs on its own timer once started', async () => {
    await slapd.setGroupMembers('devs', ['alice', 'bob']);
    await makeStale(fx.registry);
    const running = worker(fx.registry);
    running.start(50);
    try {
      await expect
        .poll(() => memberNames(fx.registry, fx.teamIds['devs']!), { timeout: 10_000 })
        .toEqual(['acme+bot', 'alice', 'bob']);
    } finally {
      await running.stop();
    }
  });
});
