import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Namespace } from '../../src/model/namespaces.js';
import { ensureRepository, type RepositoryWithNamespace } from '../../src/model/repositories.js';
import type { LogKind } from '../../src/model/usage-logs.js';
import { type ApiClient, anonymousClient, expectApiError, expectStatus, sessionClient, tokenClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { addTeam, createOrganizationBy, createUsers, namespaceId } from '../helpers/fixtures.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'logs-Pa55word!';
const QUAY_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} -0000$/;
const DAY_MS = 86_400_000;

// biome-ignore lint/suspicious/noExplicitAny: log entries are read field by field and asserted on
type LogView = any;

describe.each(testDialects())('usage logs API (%s)', (dialect) => {
  let registry: TestRegistry;
  let acme: Namespace;
  let app: RepositoryWithNamespace;
  let alice: ApiClient;
  let carol: ApiClient;
  let dave: ApiClient;
  let root: ApiClient;
  let auditor: ApiClient;

  async function record(kind: LogKind, namespace: string | null, options: { performer?: string | number; atMs?: number; metadata?: Record<string, unknown> } = {}) {
    const performerId =
      typeof options.performer === 'number'
        ? options.performer
        : options.performer
          ? await namespaceId(registry, options.performer)
          : null;
    await registry.ctx.usageLogs.record({
      kind,
      namespaceId: namespace ? await namespaceId(registry, namespace) : null,
      performerId,
      ip: '10.1.2.3',
      metadata: options.metadata ?? {},
      atMs: options.atMs,
    });
  }

  async function allPages(client: ApiClient, path: string): Promise<{ pages: LogView[][]; logs: LogView[] }> {
    const pages: LogView[][] = [];
    let next: string | undefined;
    do {
      const separator = path.includes('?') ? '&' : '?';
      const res = await client.get(next ? `${path}${separator}next_page=${encodeURIComponent(next)}` : path);
      expectStatus(res);
      pages.push(res.body.logs);
      next = res.body.next_page;
    } while (next && pages.length < 50);
    return { pages, logs: pages.flat() };
  }

  beforeAll(async () => {
    registry = await startTestRegistry({
      dialect,
      overrides: { SUPER_USERS: ['root'], GLOBAL_READONLY_SUPER_USERS: ['auditor'] },
    });
    await createUsers(registry, ['alice', 'carol', 'dave', 'root', 'auditor'], PASSWORD);
    acme = await createOrganizationBy(registry, 'acme', 'alice');
    await addTeam(registry, acme.id, 'readers', 'member', ['carol']);
    app = await ensureRepository(registry.ctx.db, acme.id, { namespace: 'acme', name: 'app' }, 'private');
    alice = await sessionClient(registry, 'alice');
    carol = await sessionClient(registry, 'carol');
    dave = await sessionClient(registry, 'dave');
    root = await sessionClient(registry, 'root');
    auditor = await sessionClient(registry, 'auditor');

    // Real actions, through the API.
    expectStatus(await alice.put('/api/v1/organization/acme/team/builders', { role: 'creator', description: 'CI' }));
    expectStatus(await alice.put('/api/v1/organization/acme/team/builders/members/carol'));
    expectStatus(await alice.put('/api/v1/repository/acme/app/permissions/user/carol', { role: 'write' }));
    expectStatus(await alice.put('/api/v1/user/robots/mybot'), 201);
    // A service-key entry in alice's namespace: Quay keeps these out of a user's own logs.
    await record('service_key_create', 'alice', { metadata: { kid: 'k1' } });
  });
  afterAll(async () => {
    await registry?.close();
  });

  describe('listing', () => {
    it("lists an organization's entries written by real actions, newest first, in Quay's shape", async () => {
      const res = await alice.get('/api/v1/organization/acme/logs');
      expectStatus(res);
      expect(res.body.start_time).toMatch(QUAY_DATE);
      expect(res.body.end_time).toMatch(QUAY_DATE);
      expect(res.body).not.toHaveProperty('next_page');
      const kinds = res.body.logs.map((log: LogView) => log.kind);
      expect(kinds).toEqual(['change_repo_permission', 'org_add_team_member', 'org_create_team']);
      const created = res.body.logs[2];
      expect(created).toEqual({
        kind: 'org_create_team',
        metadata: { team: 'builders' },
        ip: '127.0.0.1',
        datetime: expect.stringMatching(QUAY_DATE),
        performer: {
          kind: 'user',
          name: 'alice',
          is_robot: false,
          avatar: { name: 'alice', hash: expect.stringMatching(/^[0-9a-f]{32}$/), color: expect.any(String), kind: 'user' },
        },
      });
      expect(res.body.logs[1].metadata).toEqual({ member: 'carol', team: 'builders' });
    });

    it("lists a repository's entries only", async () => {
      const res = await alice.get('/api/v1/repository/acme/app/logs');
      expectStatus(res);
      expect(res.body.logs).toHaveLength(1);
      expect(res.body.logs[0]).toMatchObject({
        kind: 'change_repo_permission',
        metadata: { username: 'carol', repo: 'app', namespace: 'acme', role: 'write' },
        performer: { name: 'alice' },
      });
      expect(res.body.logs[0]).not.toHaveProperty('namespace');
    });

    it("lists the caller's own namespace without service-key entries", async () => {
      const res = await alice.get('/api/v1/user/logs');
      expectStatus(res);
      expect(res.body.logs.map((log: LogView) => log.kind)).toEqual(['create_robot']);
      expect(res.body.logs[0].metadata).toMatchObject({ robot: 'mybot' });
      expect((await dave.get('/api/v1/user/logs')).body.logs).toEqual([]);
    });

    it('lists every namespace for superusers, naming the namespace of each entry', async () => {
      const res = await root.get('/api/v1/superuser/logs');
      expectStatus(res);
      const kinds = res.body.logs.map((log: LogView) => log.kind);
      expect(kinds).toEqual(expect.arrayContaining(['service_key_create', 'create_robot', 'org_create_team']));
      const teamEntry = res.body.logs.find((log: LogView) => log.kind === 'org_create_team');
      expect(teamEntry.namespace).toEqual({ kind: 'org', name: 'acme', avatar: expect.objectContaining({ name: 'acme', kind: 'org' }) });
      const robotEntry = res.body.logs.find((log: LogView) => log.kind === 'create_robot');
      expect(robotEntry.namespace).toMatchObject({ kind: 'user', name: 'alice' });
    });

    it('filters by performer, and an unknown performer matches nothing', async () => {
      await record('push_repo', 'acme', { performer: 'carol', metadata: { repo: 'app' } });
      const carols = await alice.get('/api/v1/organization/acme/logs?performer=carol');
      expectStatus(carols);
      expect(carols.body.logs.map((log: LogView) => log.kind)).toEqual(['push_repo']);
      expect(carols.body.logs[0].ip).toBe('10.1.2.3');
      const nobody = await alice.get('/api/v1/organization/acme/logs?performer=nobody');
      expectStatus(nobody);
      expect(nobody.body.logs).toEqual([]);
    });

    it('shows robots as robot performers and leaves out performers that no longer exist', async () => {
      await record('pull_repo', 'acme', { performer: 'alice+mybot' });
      await record('pull_repo', 'acme', { performer: 987_654_321 });
      await record('pull_repo', 'acme');
      const res = await alice.get('/api/v1/organization/acme/logs?performer=alice%2Bmybot');
      expect(res.body.logs[0].performer).toMatchObject({ kind: 'user', name: 'alice+mybot', is_robot: true, avatar: { kind: 'robot' } });
      const all = await alice.get('/api/v1/organization/acme/logs');
      const pulls = all.body.logs.filter((log: LogView) => log.kind === 'pull_repo');
      expect(pulls).toHaveLength(3);
      expect(pulls.filter((log: LogView) => log.performer === undefined)).toHaveLength(2);
    });

    it("sees this process's batched entries at once", async () => {
      registry.ctx.usageLogs.recordSoon({
        kind: 'pull_repo',
        namespaceId: acme.id,
        repositoryId: app.id,
        performerId: null,
        metadata: { batched: true },
      });
      const res = await alice.get('/api/v1/repository/acme/app/logs');
      expect(res.body.logs[0]).toMatchObject({ kind: 'pull_repo', metadata: { batched: true } });
    });

    it('covers the requested days in UTC, from the start of starttime to the end of endtime', async () => {
      const org = await createOrganizationBy(registry, 'history', 'alice');
      await record('push_repo', 'history', { atMs: Date.UTC(2024, 0, 9, 23, 59, 59) });
      await record('push_repo', 'history', { atMs: Date.UTC(2024, 0, 10, 0, 0, 0) });
      await record('push_repo', 'history', { atMs: Date.UTC(2024, 0, 11, 23, 59, 59) });
      await record('push_repo', 'history', { atMs: Date.UTC(2024, 0, 12, 0, 0, 0) });
      const res = await alice.get('/api/v1/organization/history/logs?starttime=1/10/2024&endtime=01/11/2024');
      expectStatus(res);
      expect(res.body.start_time).toBe('Wed, 10 Jan 2024 00:00:00 -0000');
      expect(res.body.end_time).toBe('Fri, 12 Jan 2024 00:00:00 -0000');
      expect(res.body.logs.map((log: LogView) => log.datetime)).toEqual([
        'Thu, 11 Jan 2024 23:59:59 -0000',
        'Wed, 10 Jan 2024 00:00:00 -0000',
      ]);
      // Without dates: from a day ago to a day ahead, so these old entries are not listed.
      const recent = await alice.get('/api/v1/organization/history/logs');
      expect(recent.body.logs).toEqual([]);
      const start = Date.parse(recent.body.start_time);
      const end = Date.parse(recent.body.end_time);
      expect(end - start).toBeGreaterThanOrEqual(2 * DAY_MS - 2000);
      expect(end - start).toBeLessThanOrEqual(2 * DAY_MS + 2000);
      expect(org.kind).toBe('organization');
    });
  });

  describe('paging', () => {
    it('walks more than a page with next_page, without duplicates or gaps, even when times tie', async () => {
      await createOrganizationBy(registry, 'pages', 'alice');
      const base = Date.now() - 3_600_000;
      // 47 entries over 12 distinct times: many share a timestamp, which the id breaks.
      for (let i = 0; i < 47; i++) {
        await record('pull_repo', 'pages', { atMs: base + Math.floor(i / 4) * 1000, metadata: { n: i } });
      }
      const { pages, logs } = await allPages(alice, '/api/v1/organization/pages/logs');
      expect(pages.map((page) => page.length)).toEqual([20, 20, 7]);
      const numbers = logs.map((log: LogView) => log.metadata.n as number);
      expect(new Set(numbers).size).toBe(47);
      expect(numbers).toEqual([...numbers].sort((a, b) => b - a));
      const times = logs.map((log: LogView) => Date.parse(log.datetime));
      expect(times).toEqual([...times].sort((a, b) => b - a));
    });

    it('refuses a next_page token it did not write', async () => {
      for (const token of ['not-a-token!', Buffer.from('{"d":"x","i":1}').toString('base64url'), 'e30']) {
        expectApiError(await alice.get(`/api/v1/organization/acme/logs?next_page=${encodeURIComponent(token)}`), 400, /next_page/);
      }
    });
  });

  describe('aggregates', () => {
    it('counts entries per kind per UTC day', async () => {
      await createOrganizationBy(registry, 'counts', 'alice');
      for (const hour of [1, 5, 23]) await record('push_repo', 'counts', { atMs: Date.UTC(2024, 1, 10, hour) });
      for (const hour of [0, 12]) await record('push_repo', 'counts', { atMs: Date.UTC(2024, 1, 11, hour) });
      await record('pull_repo', 'counts', { atMs: Date.UTC(2024, 1, 10, 8), performer: 'carol' });
      await record('pull_repo', 'counts', { atMs: Date.UTC(2024, 1, 13, 8) });
      const res = await alice.get('/api/v1/organization/counts/aggregatelogs?starttime=02/10/2024&endtime=02/11/2024');
      expectStatus(res);
      expect(res.body.aggregated).toHaveLength(3);
      expect(res.body.aggregated).toEqual(
        expect.arrayContaining([
          { kind: 'push_repo', count: 3, datetime: 'Sat, 10 Feb 2024 00:00:00 -0000' },
          { kind: 'push_repo', count: 2, datetime: 'Sun, 11 Feb 2024 00:00:00 -0000' },
          { kind: 'pull_repo', count: 1, datetime: 'Sat, 10 Feb 2024 00:00:00 -0000' },
        ]),
      );
      const byCarol = await alice.get('/api/v1/organization/counts/aggregatelogs?starttime=02/10/2024&endtime=02/11/2024&performer=carol');
      expect(byCarol.body.aggregated).toEqual([{ kind: 'pull_repo', count: 1, datetime: 'Sat, 10 Feb 2024 00:00:00 -0000' }]);
    });

    it('aggregates repository, own and superuser scopes', async () => {
      const repo = await alice.get('/api/v1/repository/acme/app/aggregatelogs');
      expectStatus(repo);
      expect(repo.body.aggregated).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'change_repo_permission', count: 1 })]));
      const own = await alice.get('/api/v1/user/aggregatelogs');
      expect(own.body.aggregated.map((a: LogView) => a.kind)).toEqual(['create_robot']);
      const all = await root.get('/api/v1/superuser/aggregatelogs');
      expectStatus(all);
      expect(all.body.aggregated.map((a: LogView) => a.kind)).toEqual(expect.arrayContaining(['service_key_create', 'org_create_team']));
    });

    it('refuses ranges of four weeks or more', async () => {
      expectApiError(await alice.get('/api/v1/organization/acme/aggregatelogs?starttime=01/01/2024&endtime=01/28/2024'), 400, /range/);
      expectStatus(await alice.get('/api/v1/organization/acme/aggregatelogs?starttime=01/01/2024&endtime=01/27/2024'));
    });
  });

  describe('refusals', () => {
    it('refuses callers who do not administer the namespace or repository', async () => {
      expectApiError(await carol.get('/api/v1/organization/acme/logs'), 403);
      expectApiError(await carol.get('/api/v1/organization/acme/aggregatelogs'), 403);
      expectApiError(await carol.get('/api/v1/repository/acme/app/logs'), 403);
      expectApiError(await dave.get('/api/v1/repository/acme/app/aggregatelogs'), 403);
      expectApiError(await alice.get('/api/v1/superuser/logs'), 403);
      expectApiError(await alice.get('/api/v1/superuser/aggregatelogs'), 403);
      const anonymous = anonymousClient(registry);
      expectApiError(await anonymous.get('/api/v1/organization/acme/logs'), 401);
      expectApiError(await anonymous.get('/api/v1/user/logs'), 401);
      expectApiError(await anonymous.get('/api/v1/superuser/logs'), 401);
    });

    it('needs org:admin and user:admin scopes for OAuth tokens', async () => {
      const readOnly = await tokenClient(registry, 'alice', ['org:admin']);
      expectStatus(await readOnly.get('/api/v1/organization/acme/logs'));
      expectApiError(await readOnly.get('/api/v1/user/logs'), 403);
      const userOnly = await tokenClient(registry, 'alice', ['user:admin']);
      expectApiError(await userOnly.get('/api/v1/organization/acme/logs'), 403);
      expectStatus(await userOnly.get('/api/v1/user/logs'));
    });

    it('lets global read-only superusers read organization and repository logs', async () => {
      expectStatus(await auditor.get('/api/v1/organization/acme/logs'));
      const repo = await auditor.get('/api/v1/repository/acme/app/logs');
      expectStatus(repo);
      expect(repo.body.logs.length).toBeGreaterThan(0);
    });

    it("needs repo:admin or super:user on a global read-only superuser's token for repository logs", async () => {
      for (const scopes of [['repo:read'], ['repo:write', 'user:admin'], ['org:admin']]) {
        const token = await tokenClient(registry, 'auditor', scopes);
        expectApiError(await token.get('/api/v1/repository/acme/app/logs'), 403);
      }
      for (const scopes of [['repo:admin'], ['super:user']]) {
        const token = await tokenClient(registry, 'auditor', scopes);
        expectStatus(await token.get('/api/v1/repository/acme/app/logs'));
      }
      const missing = await tokenClient(registry, 'auditor', ['repo:read']);
      expectApiError(await missing.get('/api/v1/repository/acme/nope/logs'), 404);
    });

    it("lets global read-only superusers list every namespace's logs, not the superuser aggregate (as Quay)", async () => {
      const res = await auditor.get('/api/v1/superuser/logs');
      expectStatus(res);
      expect(res.body.logs.some((log: LogView) => log.namespace?.name === 'acme')).toBe(true);
      expectApiError(await auditor.get('/api/v1/superuser/aggregatelogs'), 403);
      const token = await tokenClient(registry, 'auditor', ['repo:admin']);
      expectApiError(await token.get('/api/v1/superuser/logs'), 403);
    });

    it('answers 404 for unknown organizations and repositories', async () => {
      expectApiError(await alice.get('/api/v1/organization/nope/logs'), 404);
      expectApiError(await alice.get('/api/v1/repository/acme/nope/logs'), 404);
      expectApiError(await alice.get('/api/v1/repository/acme/nope/aggregatelogs'), 404);
    });

    it('refuses dates it cannot read and ranges that end before they start', async () => {
      for (const query of ['starttime=yesterday', 'endtime=2024-01-02', 'starttime=02/30/2024', 'starttime=13/01/2024']) {
        expectApiError(await alice.get(`/api/v1/organization/acme/logs?${query}`), 400, /MM\/DD\/YYYY/);
      }
      expectApiError(await alice.get('/api/v1/organization/acme/logs?starttime=01/10/2024&endtime=01/08/2024'), 400, /time span/);
      expectApiError(await alice.get('/api/v1/user/aggregatelogs?starttime=nonsense'), 400);
    });
  });
});
