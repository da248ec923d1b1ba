import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRepository, findRepository, type RepositoryWithNamespace } from '../../src/model/repositories.js';
import { createRobot, revealRobotToken } from '../../src/model/robots.js';
import { type ApiClient, anonymousClient, expectApiError, expectStatus, sessionClient } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { createOrganizationBy, createUsers, namespaceId } from '../helpers/fixtures.js';
import { basicAuth, errorCodes, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/** Quay's repository mirror API: /api/v1/repository/{repo}/mirror, sync-now and sync-cancel. */

const PASSWORD = 'mirror-Pa55word!';
const REMOTE_PASSWORD = 'Remote-S3cret-Pa55';
const PROXY_PASSWORD = 'Proxy-S3cret-Pa55';
const REPO = 'acme/mirrored';
const MIRROR = `/api/v1/repository/${REPO}/mirror`;

const VALID_CONFIG = {
  external_reference: 'registry.example.com:5000/library/busybox',
  external_registry_username: 'puller',
  external_registry_password: REMOTE_PASSWORD,
  external_registry_config: { verify_tls: false, proxy: { https_proxy: 'http://proxy.example:3128' } },
  sync_interval: 3600,
  sync_start_date: '2026-12-01T08:30:00Z',
  root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['1.*', 'latest'] },
  robot_username: 'acme+mirror',
  skopeo_timeout_interval: 600,
  architecture_filter: [],
};

interface LogView {
  kind: string;
  metadata: Record<string, unknown>;
}

describe.each(testDialects())('repository mirror API (%s)', (dialect) => {
  describe('without FEATURE_REPO_MIRROR', () => {
    let registry: TestRegistry;

    beforeAll(async () => {
      registry = await startTestRegistry({ dialect });
      await createUsers(registry, ['alice'], PASSWORD);
      const acme = await createOrganizationBy(registry, 'acme', 'alice');
      await ensureRepository(registry.ctx.db, acme.id, { namespace: 'acme', name: 'mirrored' }, 'private');
      await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: acme, shortname: 'mirror' });
    });
    afterAll(() => registry?.close());

    it('answers 404 on every mirror endpoint, even to the repository admin, and changes nothing', async () => {
      const alice = await sessionClient(registry, 'alice');
      expectApiError(await alice.get(MIRROR), 404);
      expectApiError(await alice.post(MIRROR, VALID_CONFIG), 404);
      expectApiError(await alice.put(MIRROR, { is_enabled: false }), 404);
      expectApiError(await alice.post(`${MIRROR}/sync-now`), 404);
      expectApiError(await alice.post(`${MIRROR}/sync-cancel`), 404);
      expectApiError(await anonymousClient(registry).get(MIRROR), 404);
      expect(await registry.ctx.db.selectFrom('repo_mirror_config').selectAll().execute()).toEqual([]);
      expect((await findRepository(registry.ctx.db, { namespace: 'acme', name: 'mirrored' }))?.state).toBe('NORMAL');
    });
  });

  describe('with FEATURE_REPO_MIRROR', () => {
    let registry: TestRegistry;
    let repo: RepositoryWithNamespace;
    /** alice: admin of acme. carol: read on the repository. dave: write on the repository. */
    let alice: ApiClient;
    let carol: ApiClient;
    let dave: ApiClient;
    let anonymous: ApiClient;
    let robotToken: string;

    async function rawConfig() {
      return registry.ctx.db.selectFrom('repo_mirror_config').selectAll().where('repository_id', '=', repo.id).executeTakeFirst();
    }

    /** Every page of the repository's usage logs. */
    async function repositoryLogs(): Promise<LogView[]> {
      const logs: LogView[] = [];
      let next: string | undefined;
      do {
        const res = await alice.get(`/api/v1/repository/${REPO}/logs${next === undefined ? '' : `?next_page=${encodeURIComponent(next)}`}`);
        expectStatus(res);
        logs.push(...res.body.logs);
        next = res.body.next_page;
      } while (next !== undefined);
      return logs;
    }

    beforeAll(async () => {
      registry = await startTestRegistry({
        dialect,
        overrides: { FEATURE_REPO_MIRROR: true, GLOBAL_READONLY_SUPER_USERS: ['auditor'], SSRF_ALLOWED_HOSTS: ['10.1.2.3'] },
      });
      await createUsers(registry, ['alice', 'carol', 'dave', 'auditor'], PASSWORD);
      const acme = await createOrganizationBy(registry, 'acme', 'alice');
      await createUsers(registry, ['gina'], PASSWORD);
      const globex = await createOrganizationBy(registry, 'globex', 'gina');
      repo = await ensureRepository(registry.ctx.db, acme.id, { namespace: 'acme', name: 'mirrored' }, 'private');
      const robot = await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: acme, shortname: 'mirror' });
      robotToken = revealRobotToken(registry.ctx.secrets, robot);
      await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: acme, shortname: 'other' });
      await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: acme, shortname: 'admin' });
      await createRobot(registry.ctx.db, registry.ctx.secrets, { owner: globex, shortname: 'bot' });
      for (const [name, role] of [
        ['carol', 'read'],
        ['dave', 'write'],
        ['acme+admin', 'admin'],
      ] as const) {
        await registry.ctx.db
          .insertInto('repository_permission')
          .values({ repository_id: repo.id, member_id: await namespaceId(registry, name), team_id: null, role })
          .execute();
      }
      alice = await sessionClient(registry, 'alice');
      carol = await sessionClient(registry, 'carol');
      dave = await sessionClient(registry, 'dave');
      anonymous = anonymousClient(registry);
    });
    afterAll(() => registry?.close());

    it('refuses anonymous callers (401) and non-admins (403)', async () => {
      expectApiError(await anonymous.get(MIRROR), 401);
      expectApiError(await anonymous.post(MIRROR, VALID_CONFIG), 401);
      expectApiError(await carol.get(MIRROR), 403);
      expectApiError(await dave.get(MIRROR), 403);
      expectApiError(await dave.post(MIRROR, VALID_CONFIG), 403);
      expectApiError(await dave.post(`${MIRROR}/sync-now`), 403);
      expect(await rawConfig()).toBeUndefined();
    });

    it('answers 404 while the repository has no mirror configuration', async () => {
      expectApiError(await alice.get(MIRROR), 404, /no mirror configuration/);
      expectApiError(await alice.put(MIRROR, { is_enabled: false }), 404);
      expectApiError(await alice.post(`${MIRROR}/sync-now`), 404);
      expectApiError(await alice.post(`${MIRROR}/sync-cancel`), 404);
      expectApiError(await alice.get('/api/v1/repository/acme/missing/mirror'), 404);
    });

    it('refuses bad input with 400 and Quay error JSON, creating nothing', async () => {
      const cases: Array<[Record<string, unknown>, RegExp]> = [
        [{ external_reference: 'https://registry.example.com/busybox' }, /external reference/],
        [{ external_reference: 'library/busybox' }, /registry host/],
        [{ external_reference: 'registry.example.com/busybox:1.36' }, /tag does not belong/],
        [{ root_rule: { rule_kind: 'regex', rule_value: ['.*'] } }, /rule_kind must be tag_glob_csv/],
        [{ root_rule: { rule_kind: 'tag_glob_csv', rule_value: [] } }, /at least one tag pattern/],
        [{ root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['1 .*'] } }, /whitespace/],
        [{ sync_start_date: '2026-12-01 08:30:00' }, /sync_start_date/],
        [{ sync_start_date: '2026-02-30T08:30:00Z' }, /sync_start_date/],
        [{ sync_interval: 0 }, /sync_interval/],
        [{ skopeo_timeout_interval: 299 }, /at least 300 seconds/],
        [{ robot_username: 'globex+bot' }, /does not belong to namespace acme/],
        [{ robot_username: 'acme+nobody' }, /no robot account acme\+nobody/],
        [{ robot_username: 'carol' }, /no robot account carol/],
        [{ architecture_filter: ['amd64'] }, /architecture_filter is not supported/],
        [{ external_reference: '127.0.0.1/a' }, /^The provided registry location is not allowed$/],
        [{ external_reference: '169.254.169.254/x' }, /^The provided registry location is not allowed$/],
        [{ external_reference: '[::1]:5000/a' }, /^The provided registry location is not allowed$/],
        [{ external_reference: 'localhost:5000/a' }, /^The provided registry location is not allowed$/],
        [{ external_registry_username: null, external_registry_password: 'x' }, /password/],
      ];
      for (const [change, message] of cases) {
        expectApiError(await alice.post(MIRROR, { ...VALID_CONFIG, ...change }), 400, message);
      }
      for (const field of ['external_reference', 'sync_interval', 'sync_start_date', 'root_rule', 'robot_username']) {
        const { [field]: _left, ...rest } = VALID_CONFIG as Record<string, unknown>;
        expectApiError(await alice.post(MIRROR, rest), 400, new RegExp(field));
      }
      expect(await rawConfig()).toBeUndefined();
      expect((await findRepository(registry.ctx.db, { namespace: 'acme', name: 'mirrored' }))?.state).toBe('NORMAL');
    });

    it('creates the configuration (201), puts the repository in MIRROR state and gives the robot write', async () => {
      const created = await alice.post(MIRROR, VALID_CONFIG);
      expectStatus(created, 201);
      expect(created.body).toBeUndefined();
      expect((await findRepository(registry.ctx.db, { namespace: 'acme', name: 'mirrored' }))?.state).toBe('MIRROR');
      const permission = await registry.ctx.db
        .selectFrom('repository_permission')
        .select('role')
        .where('repository_id', '=', repo.id)
        .where('member_id', '=', await namespaceId(registry, 'acme+mirror'))
        .executeTakeFirst();
      expect(permission?.role).toBe('write');
    });

    it('shows every field in Quay\'s shape, the username in the clear and never the password', async () => {
      const res = await alice.get(MIRROR);
      expectStatus(res);
      expect(res.body).toEqual({
        is_enabled: true,
        mirror_type: 'PULL',
        external_reference: 'registry.example.com:5000/library/busybox',
        external_registry_username: 'puller',
        external_registry_config: {
          verify_tls: false,
          unsigned_images: false,
          proxy: { http_proxy: null, https_proxy: 'http://proxy.example:3128', no_proxy: null },
        },
        sync_interval: 3600,
        sync_start_date: '2026-12-01T08:30:00Z',
        sync_expiration_date: null,
        sync_retries_remaining: 3,
        sync_status: 'NEVER_RUN',
        root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['1.*', 'latest'] },
        robot_username: 'acme+mirror',
        skopeo_timeout_interval: 600,
        architecture_filter: [],
        last_sync: { started: null, finished: null, message: null },
      });
      expect(JSON.stringify(res.body)).not.toContain(REMOTE_PASSWORD);
    });

    it('stores the credentials sealed, not in the clear', async () => {
      const row = await rawConfig();
      expect(row?.external_registry_password).toEqual(expect.any(String));
      expect(row?.external_registry_password).not.toContain(REMOTE_PASSWORD);
      expect(row?.external_registry_username).not.toContain('puller');
      expect(registry.ctx.secrets.open(row!.external_registry_password!)).toBe(REMOTE_PASSWORD);
      expect(registry.ctx.secrets.open(row!.external_registry_username!)).toBe('puller');
    });

    it('lets a global read-only superuser read the configuration, not change it', async () => {
      const auditor = await sessionClient(registry, 'auditor');
      const res = await auditor.get(MIRROR);
      expectStatus(res);
      expect(res.body.robot_username).toBe('acme+mirror');
      expectApiError(await auditor.put(MIRROR, { is_enabled: false }), 403);
      expectApiError(await auditor.post(`${MIRROR}/sync-now`), 403);
    });

    it('answers a second POST with 409 and keeps the first configuration', async () => {
      const again = await alice.post(MIRROR, { ...VALID_CONFIG, external_reference: 'quay.io/other/repo' });
      expectApiError(again, 409, /already has a mirror configuration/);
      expect((await alice.get(MIRROR)).body.external_reference).toBe('registry.example.com:5000/library/busybox');
    });

    it('changes only the fields a PUT names (201)', async () => {
      const res = await alice.put(MIRROR, {
        is_enabled: false,
        sync_interval: 7200,
        sync_start_date: '2027-01-02T03:04:05Z',
        root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['2.*'] },
        external_registry_config: { unsigned_images: true, proxy: { http_proxy: `http://proxyuser:${PROXY_PASSWORD}@proxy.example:3128` } },
      });
      expectStatus(res, 201);
      const view = (await alice.get(MIRROR)).body;
      expect(view).toMatchObject({
        is_enabled: false,
        sync_interval: 7200,
        sync_start_date: '2027-01-02T03:04:05Z',
        root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['2.*'] },
        external_registry_config: {
          verify_tls: false,
          unsigned_images: true,
          proxy: {
            http_proxy: `http://proxyuser:${PROXY_PASSWORD}@proxy.example:3128`,
            https_proxy: 'http://proxy.example:3128',
            no_proxy: null,
          },
        },
        // untouched
        external_reference: 'registry.example.com:5000/library/busybox',
        external_registry_username: 'puller',
        robot_username: 'acme+mirror',
        skopeo_timeout_interval: 600,
      });
      expect(registry.ctx.secrets.open((await rawConfig())!.external_registry_password!)).toBe(REMOTE_PASSWORD);
    });

    it('validates a PUT as a POST, changing nothing when any field is wrong', async () => {
      const before = await rawConfig();
      expectApiError(await alice.put(MIRROR, { sync_interval: 60, robot_username: 'globex+bot' }), 400, /globex\+bot/);
      expectApiError(await alice.put(MIRROR, { sync_interval: 60, robot_username: 'acme+ghost' }), 400, /acme\+ghost/);
      expectApiError(await alice.put(MIRROR, { sync_interval: 60, external_reference: 'nohost' }), 400, /registry host/);
      expectApiError(await alice.put(MIRROR, { sync_interval: 60, sync_start_date: 'tomorrow' }), 400, /sync_start_date/);
      expectApiError(await alice.put(MIRROR, { root_rule: { rule_kind: 'tag_glob_csv', rule_value: [] } }), 400);
      expectApiError(await alice.put(MIRROR, { architecture_filter: ['arm64'] }), 400, /not supported/);
      expectApiError(await alice.put(MIRROR, { external_registry_password: 'new' }), 400, /external_registry_username/);
      expectApiError(await alice.put(MIRROR, { external_reference: '127.0.0.1:5000/a' }), 400, /registry location is not allowed/);
      expectApiError(await alice.put(MIRROR, { external_reference: '10.1.2.4/a' }), 400, /registry location is not allowed/);
      expect(await rawConfig()).toEqual(before);
      expectStatus(await alice.put(MIRROR, { architecture_filter: [] }), 201);
    });

    it('takes a non-public registry address that SSRF_ALLOWED_HOSTS lists', async () => {
      expectStatus(await alice.put(MIRROR, { external_reference: '10.1.2.3:5000/library/busybox' }), 201);
      expect((await alice.get(MIRROR)).body.external_reference).toBe('10.1.2.3:5000/library/busybox');
      expectStatus(await alice.put(MIRROR, { external_reference: 'registry.example.com:5000/library/busybox' }), 201);
    });

    it('changes the robot to another robot of the namespace, granting it write', async () => {
      expectStatus(await alice.put(MIRROR, { robot_username: 'acme+other' }), 201);
      expect((await alice.get(MIRROR)).body.robot_username).toBe('acme+other');
      const permission = await registry.ctx.db
        .selectFrom('repository_permission')
        .select('role')
        .where('repository_id', '=', repo.id)
        .where('member_id', '=', await namespaceId(registry, 'acme+other'))
        .executeTakeFirst();
      expect(permission?.role).toBe('write');
      expectStatus(await alice.put(MIRROR, { robot_username: 'acme+mirror' }), 201);
    });

    it('leaves a robot that is admin of the repository admin when it becomes the mirror robot', async () => {
      expectStatus(await alice.put(MIRROR, { robot_username: 'acme+admin' }), 201);
      expect((await alice.get(MIRROR)).body.robot_username).toBe('acme+admin');
      const permission = await registry.ctx.db
        .selectFrom('repository_permission')
        .select('role')
        .where('repository_id', '=', repo.id)
        .where('member_id', '=', await namespaceId(registry, 'acme+admin'))
        .executeTakeFirst();
      expect(permission?.role).toBe('admin');
      expectStatus(await alice.put(MIRROR, { robot_username: 'acme+mirror' }), 201);
    });

    it('clears both credentials when the username is set to null', async () => {
      expectStatus(await alice.put(MIRROR, { external_registry_username: null }), 201);
      const row = await rawConfig();
      expect(row?.external_registry_username).toBeNull();
      expect(row?.external_registry_password).toBeNull();
      expect((await alice.get(MIRROR)).body.external_registry_username).toBeNull();
      expectStatus(await alice.put(MIRROR, { external_registry_username: 'puller2', external_registry_password: REMOTE_PASSWORD }), 201);
      expect((await alice.get(MIRROR)).body.external_registry_username).toBe('puller2');
    });

    it('asks for a sync now (204, SYNC_NOW), refused with 404 while one runs', async () => {
      expectStatus(await alice.post(`${MIRROR}/sync-now`), 204);
      expect((await alice.get(MIRROR)).body.sync_status).toBe('SYNC_NOW');
      await registry.ctx.db.updateTable('repo_mirror_config').set({ sync_status: 'SYNCING' }).where('repository_id', '=', repo.id).execute();
      expectApiError(await alice.post(`${MIRROR}/sync-now`), 404, /running already/);
      expect((await alice.get(MIRROR)).body.sync_status).toBe('SYNCING');
    });

    it('cancels a running sync (204, CANCEL), and answers 404 when nothing runs', async () => {
      expectStatus(await alice.post(`${MIRROR}/sync-cancel`), 204);
      expect((await alice.get(MIRROR)).body.sync_status).toBe('CANCEL');
      expectApiError(await alice.post(`${MIRROR}/sync-cancel`), 404, /nothing to cancel/);
      expectStatus(await alice.post(`${MIRROR}/sync-now`), 204);
      expectStatus(await alice.post(`${MIRROR}/sync-cancel`), 204);
      expect((await alice.get(MIRROR)).body.sync_status).toBe('CANCEL');
    });

    it('writes usage-log entries of the right kinds, with no secret in them', async () => {
      // A proxy without a scheme is an http:// proxy, so user:password@ is its userinfo.
      expectStatus(await alice.put(MIRROR, { external_registry_config: { proxy: { https_proxy: `proxyuser:${PROXY_PASSWORD}@proxy.corp:3128` } } }), 201);
      const logs = await repositoryLogs();
      const mirrorLogs = logs.filter((log) => log.kind.startsWith('repo_mirror_'));
      const summary = mirrorLogs.map((log) => `${log.kind}:${String(log.metadata['changed'] ?? '')}`);
      expect(summary).toEqual(
        expect.arrayContaining([
          'repo_mirror_config_changed:external_reference',
          'repo_mirror_config_changed:is_enabled',
          'repo_mirror_config_changed:sync_interval',
          'repo_mirror_config_changed:sync_start_date',
          'repo_mirror_config_changed:mirror_rule',
          'repo_mirror_config_changed:unsigned_images',
          'repo_mirror_config_changed:http_proxy',
          'repo_mirror_config_changed:robot_username',
          'repo_mirror_config_changed:external_registry_username',
          'repo_mirror_config_changed:external_registry_password',
          'repo_mirror_config_changed:https_proxy',
          'repo_mirror_config_changed:sync_status',
        ]),
      );
      // Fields a PUT named without changing them are not logged.
      expect(summary).not.toContain('repo_mirror_config_changed:verify_tls');
      for (const log of mirrorLogs) expect(log.metadata).toMatchObject({ namespace: 'acme', repo: 'mirrored' });
      const proxy = mirrorLogs.find((log) => log.metadata['changed'] === 'http_proxy');
      expect(proxy?.metadata['to']).toBe('http://proxyuser:********@proxy.example:3128/');
      const schemeless = mirrorLogs.find((log) => log.metadata['changed'] === 'https_proxy');
      expect(schemeless?.metadata['to']).toBe('http://proxyuser:********@proxy.corp:3128/');
      const enabled = mirrorLogs.filter((log) => log.metadata['changed'] === 'is_enabled');
      expect(enabled.map((log) => log.metadata['to'])).toEqual([false]);
      const statuses = mirrorLogs.filter((log) => log.metadata['changed'] === 'sync_status').map((log) => log.metadata['to']);
      expect(statuses.sort()).toEqual(['SYNC_CANCEL', 'SYNC_CANCEL', 'SYNC_NOW', 'SYNC_NOW']);
      // Quay logs these through repo_mirror_config_changed, not their own kinds.
      expect(mirrorLogs.map((log) => log.kind)).not.toContain('repo_mirror_sync_now_requested');
      expect(mirrorLogs.map((log) => log.kind)).not.toContain('repo_mirror_disabled');
      const password = mirrorLogs.filter((log) => log.metadata['changed'] === 'external_registry_password');
      expect(password.map((log) => log.metadata['to'])).toEqual(expect.arrayContaining([null, '********']));
      const all = JSON.stringify(logs);
      expect(all).not.toContain(REMOTE_PASSWORD);
      expect(all).not.toContain(PROXY_PASSWORD);
    });

    it('lets only the mirror robot push to the MIRROR repository; readers still pull', async () => {
      const v2 = new RegistryClient(registry.url);
      const image = randomImage(1);
      const byDave = await v2.as(basicAuth('dave', PASSWORD)).uploadPostPut(REPO, image.blobs[0]!);
      expect(byDave.status).toBe(403);
      expect(errorCodes(byDave)).toEqual(['DENIED']);
      const robot = v2.as(basicAuth('acme+mirror', robotToken));
      expect((await robot.pushImage(REPO, 'v1', image)).status).toBe(201);
      expect((await v2.as(basicAuth('carol', PASSWORD)).getManifest(REPO, 'v1')).status).toBe(200);
    });
  });
});
