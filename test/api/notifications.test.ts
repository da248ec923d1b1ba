import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Namespace } from '../../src/model/namespaces.js';
import { createUserNotifications } from '../../src/model/notifications.js';
import { type ApiClient, anonymousClient, expectApiError, expectStatus, sessionClient } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { addTeam, createOrganizationBy, createUsers, namespaceId } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'notify-Pa55word!';

/** A webhook URL the default WEBHOOK_HOSTNAME_BLACKLIST allows; nothing is delivered in these tests. */
const WEBHOOK_URL = 'https://hooks.example.com/quay';

/** A webhook template expression, `${path}`. */
function expr(path: string): string {
  return ['$', '{', path, '}'].join('');
}

describe.each(testDialects())('repository notifications API (%s)', (dialect) => {
  let registry: TestRegistry;
  let acme: Namespace;
  /** alice: owns her namespace, creator (admin) of organization acme. */
  let alice: ApiClient;
  /** bob: no access to anything of alice's. */
  let bob: ApiClient;
  /** carol: read on alice's repositories when a test grants it. */
  let carol: ApiClient;
  let anonymous: ApiClient;

  async function pushedRepository(namespace = 'alice'): Promise<string> {
    const repo = `${namespace}/notify-${randomBytes(4).toString('hex')}`;
    await new RegistryClient(registry.url, basicAuth('alice', PASSWORD)).pushImage(repo, 'v1', randomImage(1));
    return repo;
  }

  async function create(repo: string, body: Record<string, unknown>, client = alice) {
    return client.post(`/api/v1/repository/${repo}/notification/`, body);
  }

  function webhook(extra: Record<string, unknown> = {}) {
    return { event: 'repo_push', method: 'webhook', config: { url: WEBHOOK_URL }, eventConfig: {}, ...extra };
  }

  async function lastLog(kind: string) {
    await registry.ctx.usageLogs.flush();
    return registry.ctx.db
      .selectFrom('log_entry')
      .selectAll()
      .where('kind', '=', kind)
      .orderBy('id', 'desc')
      .executeTakeFirst();
  }

  beforeAll(async () => {
    // Mail is "configured" (nothing listens there): creating e-mail notifications needs it, sending does not happen here.
    registry = await startTestRegistry({
      dialect,
      overrides: { FEATURE_MAILING: true, MAIL_SERVER: '127.0.0.1', MAIL_PORT: 2, MAIL_USE_TLS: false },
    });
    await createUsers(registry, ['alice', 'bob', 'carol', 'dave'], PASSWORD);
    acme = await createOrganizationBy(registry, 'acme', 'alice');
    await addTeam(registry, acme.id, 'devs', 'member', ['dave']);
    alice = await sessionClient(registry, 'alice');
    bob = await sessionClient(registry, 'bob');
    carol = await sessionClient(registry, 'carol');
    anonymous = anonymousClient(registry);
  });

  afterAll(async () => {
    await registry?.close();
  });

  describe('create, list, get', () => {
    it('creates a webhook notification in Quay shape, lists and fetches it, and logs add_repo_notification', async () => {
      const repo = await pushedRepository();
      const res = await create(repo, webhook({ title: 'CI hook' }));
      expectStatus(res, 201);
      expect(res.body).toEqual({
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        title: 'CI hook',
        event: 'repo_push',
        method: 'webhook',
        config: { url: WEBHOOK_URL },
        event_config: {},
        number_of_failures: 0,
      });
      const uuid = res.body.uuid as string;

      const list = await alice.get(`/api/v1/repository/${repo}/notification/`);
      expectStatus(list);
      expect(list.body.notifications).toEqual([res.body]);

      const one = await alice.get(`/api/v1/repository/${repo}/notification/${uuid}`);
      expectStatus(one);
      expect(one.body).toEqual(res.body);

      const log = await lastLog('add_repo_notification');
      expect(JSON.parse(log!.metadata)).toMatchObject({
        repo: repo.split('/')[1],
        namespace: 'alice',
        notification_id: uuid,
        event: 'repo_push',
        method: 'webhook',
      });
      expect(log!.performer_id).toBe(await namespaceId(registry, 'alice'));
    });

    it('accepts every method with valid settings and the event filters Quay knows', async () => {
      const repo = await pushedRepository('acme');
      await alice.put(`/api/v1/repository/${repo}/permissions/user/carol`, { role: 'read' });
      const cases: Record<string, unknown>[] = [
        { event: 'vulnerability_found', method: 'slack', config: { url: 'https://hooks.slack.com/services/T/B/X' }, eventConfig: { level: 1 } },
        { event: 'vulnerability_found', method: 'webhook', config: { url: WEBHOOK_URL }, eventConfig: { level: 'High' } },
        { event: 'repo_push', method: 'email', config: { email: 'carol@example.com' }, eventConfig: {} },
        { event: 'repo_push', method: 'quay_notification', config: { target: { kind: 'user', name: 'bob' } }, eventConfig: {} },
        { event: 'repo_push', method: 'quay_notification', config: { target: { kind: 'team', name: 'devs' } }, eventConfig: {} },
        { event: 'repo_push', method: 'quay_notification', config: { target: { kind: 'org', name: 'acme' } }, eventConfig: {} },
        { event: 'repo_image_expiry', method: 'webhook', config: { url: WEBHOOK_URL }, eventConfig: { days: 5 } },
        { event: 'build_failure', method: 'webhook', config: { url: WEBHOOK_URL }, eventConfig: { 'ref-regex': 'refs/heads/.*' } },
        { event: 'repo_mirror_sync_failed', method: 'webhook', config: { url: 'http://hooks.example.com/x' }, eventConfig: {} },
        { event: 'repo_push', method: 'webhook', config: { url: WEBHOOK_URL, template: `{"repo": "${expr('repository')}"}` }, eventConfig: {} },
      ];
      for (const body of cases) {
        const res = await create(repo, body);
        expectStatus(res, 201);
        expect(res.body).toMatchObject({ event: body['event'], method: body['method'], config: body['config'], title: null });
      }
      const list = await alice.get(`/api/v1/repository/${repo}/notification/`);
      expect(list.body.notifications).toHaveLength(cases.length);
    });
  });

  describe('e-mail recipients', () => {
    function email(address: string) {
      return { event: 'repo_push', method: 'email', config: { email: address }, eventConfig: {} };
    }

    it('needs a role on the repository itself: reading a public repository is not enough', async () => {
      const repo = await pushedRepository();
      expectStatus(await alice.post(`/api/v1/repository/${repo}/changevisibility`, { visibility: 'public' }));
      // bob can read the public repository, but holds no role on it.
      expectStatus(await bob.get(`/api/v1/repository/${repo}`));
      const registered = await create(repo, email('bob@example.com'));
      const unregistered = await create(repo, email('nobody-here@example.org'));
      expectApiError(registered, 400, /must belong to a user with access to this repository/);
      expectApiError(unregistered, 400);
      // The same answer whether or not the address is registered.
      expect(registered.body).toEqual(unregistered.body);
      expect(registered.body.detail ?? registered.body.error_message).not.toMatch(/bob|exist|unknown/i);
      expectStatus(await alice.put(`/api/v1/repository/${repo}/permissions/user/bob`, { role: 'read' }));
      expectStatus(await create(repo, email('bob@example.com')), 201);
    });

    it('accepts the owner, team members and organization administrators, in any letter case', async () => {
      const own = await pushedRepository();
      expectStatus(await create(own, email('ALICE@Example.com')), 201);
      const orgRepo = await pushedRepository('acme');
      // alice administers acme; dave is only in team devs, which has no permission on the repository yet.
      expectStatus(await create(orgRepo, email('alice@example.com')), 201);
      expectApiError(await create(orgRepo, email('dave@example.com')), 400, /must belong to a user with access/);
      expectStatus(await alice.put(`/api/v1/repository/${orgRepo}/permissions/team/devs`, { role: 'read' }));
      expectStatus(await create(orgRepo, email('Dave@EXAMPLE.com')), 201);
    });
  });

  describe('permissions', () => {
    it('needs admin on the repository for every route', async () => {
      const repo = await pushedRepository();
      const created = await create(repo, webhook());
      const uuid = created.body.uuid as string;
      await alice.put(`/api/v1/repository/${repo}/permissions/user/carol`, { role: 'read' });
      const base = `/api/v1/repository/${repo}/notification`;
      for (const client of [bob, carol]) {
        expectApiError(await client.get(`${base}/`), 403);
        expectApiError(await client.post(`${base}/`, webhook()), 403);
        expectApiError(await client.get(`${base}/${uuid}`), 403);
        expectApiError(await client.delete(`${base}/${uuid}`), 403);
        expectApiError(await client.post(`${base}/${uuid}`), 403);
        expectApiError(await client.post(`${base}/${uuid}/test`), 403);
      }
      expectApiError(await anonymous.get(`${base}/`), 401);
      expectApiError(await anonymous.post(`${base}/`, webhook()), 401);
      // Nothing changed.
      const list = await alice.get(`${base}/`);
      expect(list.body.notifications).toHaveLength(1);
    });
  });

  describe('not found', () => {
    it('answers 404 for an unknown repository or notification, and 400 (as Quay) for changes to an unknown one', async () => {
      const repo = await pushedRepository();
      expectApiError(await alice.get('/api/v1/repository/alice/no-such-repo/notification/'), 404);
      expectApiError(await alice.post('/api/v1/repository/alice/no-such-repo/notification/', webhook()), 404);
      const unknown = '00000000-0000-4000-8000-000000000000';
      expectApiError(await alice.get(`/api/v1/repository/${repo}/notification/${unknown}`), 404);
      expectApiError(await alice.delete(`/api/v1/repository/${repo}/notification/${unknown}`), 400, /No repository notification found/);
      expectApiError(await alice.post(`/api/v1/repository/${repo}/notification/${unknown}`), 400, /No repository notification found/);
      expectApiError(await alice.post(`/api/v1/repository/${repo}/notification/${unknown}/test`), 400, /No repository notification found/);
    });

    it("does not reach another repository's notification through this one", async () => {
      const first = await pushedRepository();
      const second = await pushedRepository();
      const uuid = (await create(first, webhook())).body.uuid as string;
      expectApiError(await alice.get(`/api/v1/repository/${second}/notification/${uuid}`), 404);
      expectApiError(await alice.delete(`/api/v1/repository/${second}/notification/${uuid}`), 400);
      expectStatus(await alice.get(`/api/v1/repository/${first}/notification/${uuid}`));
    });
  });

  describe('bad input', () => {
    let repo: string;
    beforeAll(async () => {
      repo = await pushedRepository();
    });

    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['an unknown event', { event: 'repo_pull', method: 'webhook', config: { url: WEBHOOK_URL }, eventConfig: {} }, /Unknown event/],
      ['an unknown method', { event: 'repo_push', method: 'hipchat', config: {}, eventConfig: {} }, /Unknown method/],
      ['a missing config', { event: 'repo_push', method: 'webhook', eventConfig: {} }, /config/],
      ['a missing eventConfig', { event: 'repo_push', method: 'webhook', config: { url: WEBHOOK_URL } }, /eventConfig/],
      ['a config that is not an object', { event: 'repo_push', method: 'webhook', config: 'x', eventConfig: {} }, /config/],
      ['a webhook without URL', { event: 'repo_push', method: 'webhook', config: {}, eventConfig: {} }, /Missing webhook URL/],
      ['a webhook URL that is not http(s)', { event: 'repo_push', method: 'webhook', config: { url: 'ftp://example.com/x' }, eventConfig: {} }, /Invalid webhook URL/],
      ['a webhook URL that is not a URL', { event: 'repo_push', method: 'webhook', config: { url: 'not a url' }, eventConfig: {} }, /Invalid webhook URL/],
      ['a webhook to localhost', { event: 'repo_push', method: 'webhook', config: { url: 'http://localhost:8080/x' }, eventConfig: {} }, /Invalid webhook URL/],
      ['a webhook to 127.0.0.1', { event: 'repo_push', method: 'webhook', config: { url: 'http://127.0.0.1/x' }, eventConfig: {} }, /Invalid webhook URL/],
      ['a webhook to the cloud metadata address', { event: 'repo_push', method: 'webhook', config: { url: 'http://169.254.169.254/latest/meta-data/' }, eventConfig: {} }, /Invalid webhook URL/],
      ['a webhook to [::1]', { event: 'repo_push', method: 'webhook', config: { url: 'http://[::1]:8080/x' }, eventConfig: {} }, /Invalid webhook URL/],
      ['a webhook to 0.0.0.0', { event: 'repo_push', method: 'webhook', config: { url: 'http://0.0.0.0:8080/x' }, eventConfig: {} }, /Invalid webhook URL/],
      ['a webhook to a private address', { event: 'repo_push', method: 'webhook', config: { url: 'http://10.1.2.3/x' }, eventConfig: {} }, /Invalid webhook URL/],
      ['a webhook to loopback written as a number', { event: 'repo_push', method: 'webhook', config: { url: 'http://2130706433:8080/x' }, eventConfig: {} }, /Invalid webhook URL/],
      ['a slack URL to a private address', { event: 'repo_push', method: 'slack', config: { url: 'https://192.168.1.20/services/x' }, eventConfig: {} }, /Invalid Slack Callback URL/],
      ['a webhook template that is not JSON', { event: 'repo_push', method: 'webhook', config: { url: WEBHOOK_URL, template: '{"a": ' }, eventConfig: {} }, /template/],
      ['a webhook template with an empty expression', { event: 'repo_push', method: 'webhook', config: { url: WEBHOOK_URL, template: `{"a": "${expr('')}"}` }, eventConfig: {} }, /template/],
      ['a webhook template with an unreadable expression', { event: 'repo_push', method: 'webhook', config: { url: WEBHOOK_URL, template: `{"a": "${expr('a..b')}"}` }, eventConfig: {} }, /template/],
      ['a webhook template that is not a string', { event: 'repo_push', method: 'webhook', config: { url: WEBHOOK_URL, template: { a: 1 } }, eventConfig: {} }, /template/],
      ['a slack notification without URL', { event: 'repo_push', method: 'slack', config: {}, eventConfig: {} }, /Missing Slack/],
      ['a slack URL to a blacklisted host', { event: 'repo_push', method: 'slack', config: { url: 'http://localhost:8080/x' }, eventConfig: {} }, /Invalid Slack Callback URL/],
      ['a webhook URL written as http:host', { event: 'repo_push', method: 'webhook', config: { url: 'http:example.com/x' }, eventConfig: {} }, /Invalid webhook URL/],
      ['an e-mail notification without address', { event: 'repo_push', method: 'email', config: {}, eventConfig: {} }, /Missing e-mail/],
      ['a malformed e-mail address', { event: 'repo_push', method: 'email', config: { email: 'not-an-address' }, eventConfig: {} }, /e-mail/],
      ['an address of a user who cannot read the repository', { event: 'repo_push', method: 'email', config: { email: 'bob@example.com' }, eventConfig: {} }, /must belong to a user with access to this repository/],
      ['an address no account has', { event: 'repo_push', method: 'email', config: { email: 'stranger@example.org' }, eventConfig: {} }, /must belong to a user with access to this repository/],
      ['an in-app notification without target', { event: 'repo_push', method: 'quay_notification', config: {}, eventConfig: {} }, /Missing target/],
      ['an unknown target user', { event: 'repo_push', method: 'quay_notification', config: { target: { kind: 'user', name: 'nobody' } }, eventConfig: {} }, /Unknown user nobody/],
      ['a team outside an organization', { event: 'repo_push', method: 'quay_notification', config: { target: { kind: 'team', name: 'devs' } }, eventConfig: {} }, /Unknown team devs/],
      ['another organization as target', { event: 'repo_push', method: 'quay_notification', config: { target: { kind: 'org', name: 'acme' } }, eventConfig: {} }, /must match repository namespace/],
      ['a vulnerability level out of range', { event: 'vulnerability_found', method: 'webhook', config: { url: WEBHOOK_URL }, eventConfig: { level: 9 } }, /level/],
      ['an unknown severity name', { event: 'vulnerability_found', method: 'webhook', config: { url: WEBHOOK_URL }, eventConfig: { level: 'Severe' } }, /level/],
      ['an image expiry without days', { event: 'repo_image_expiry', method: 'webhook', config: { url: WEBHOOK_URL }, eventConfig: {} }, /days/],
      ['a build ref filter that is not a regular expression', { event: 'build_success', method: 'webhook', config: { url: WEBHOOK_URL }, eventConfig: { 'ref-regex': '(' } }, /ref-regex/],
      ['a build ref filter longer than 256 characters', { event: 'build_success', method: 'webhook', config: { url: WEBHOOK_URL }, eventConfig: { 'ref-regex': 'a'.repeat(257) } }, /ref-regex is refused: it is longer than 256/],
      ['a build ref filter with nested repetition', { event: 'build_failure', method: 'webhook', config: { url: WEBHOOK_URL }, eventConfig: { 'ref-regex': 'refs/(a+)+$' } }, /ref-regex is refused: it repeats a group/],
      ['a build ref filter repeating an alternation', { event: 'build_start', method: 'webhook', config: { url: WEBHOOK_URL }, eventConfig: { 'ref-regex': '(a|a)*b' } }, /ref-regex is refused: it repeats a group/],
    ];

    it.each(cases)('refuses %s with 400', async (_name, body, message) => {
      expectApiError(await create(repo, body), 400, message);
    });

    it('created nothing from bad input', async () => {
      const list = await alice.get(`/api/v1/repository/${repo}/notification/`);
      expect(list.body.notifications).toEqual([]);
    });
  });

  describe('delete, reset, test', () => {
    it('deletes a notification and logs delete_repo_notification', async () => {
      const repo = await pushedRepository();
      const uuid = (await create(repo, webhook())).body.uuid as string;
      expectStatus(await alice.delete(`/api/v1/repository/${repo}/notification/${uuid}`), 204);
      expectApiError(await alice.get(`/api/v1/repository/${repo}/notification/${uuid}`), 404);
      const log = await lastLog('delete_repo_notification');
      expect(JSON.parse(log!.metadata)).toMatchObject({ notification_id: uuid, event: 'repo_push', method: 'webhook', namespace: 'alice' });
    });

    it('resets the failure count and logs reset_repo_notification', async () => {
      const repo = await pushedRepository();
      const uuid = (await create(repo, webhook())).body.uuid as string;
      await registry.ctx.db.updateTable('repository_notification').set({ number_of_failures: 3 }).where('uuid', '=', uuid).execute();
      const before = await alice.get(`/api/v1/repository/${repo}/notification/${uuid}`);
      expect(before.body.number_of_failures).toBe(3);
      expectStatus(await alice.post(`/api/v1/repository/${repo}/notification/${uuid}`), 204);
      const after = await alice.get(`/api/v1/repository/${repo}/notification/${uuid}`);
      expect(after.body.number_of_failures).toBe(0);
      const log = await lastLog('reset_repo_notification');
      expect(JSON.parse(log!.metadata)).toMatchObject({ notification_id: uuid });
    });

    it("queues a sample of the notification's event for that notification only", async () => {
      const repo = await pushedRepository();
      const uuid = (await create(repo, webhook({ event: 'vulnerability_found', eventConfig: { level: 2 } }))).body.uuid as string;
      const res = await alice.post(`/api/v1/repository/${repo}/notification/${uuid}/test`);
      expectStatus(res);
      expect(res.body).toEqual({});
      const items = await registry.ctx.db.selectFrom('queue_item').selectAll().where('queue_name', '=', 'notification').execute();
      const bodies = items.map((item) => JSON.parse(item.body)).filter((body) => body.notification_uuid === uuid);
      expect(bodies).toHaveLength(1);
      expect(bodies[0].event).toBe('vulnerability_found');
      expect(bodies[0].event_data).toMatchObject({
        repository: repo,
        namespace: 'alice',
        name: repo.split('/')[1],
        vulnerability: { id: 'CVE-FAKE-CVE', priority: 'Medium' },
      });
      expect(bodies[0].event_data.homepage).toMatch(new RegExp(`/repository/${repo}$`));
    });
  });

  describe('in-app notifications of the signed-in user', () => {
    it('lists own and administered organizations\' notifications, pages, fetches and dismisses them', async () => {
      const aliceId = await namespaceId(registry, 'alice');
      await createUserNotifications(registry.ctx.db, 'repo_push', [aliceId], { repository: 'alice/one' });
      await createUserNotifications(registry.ctx.db, 'vulnerability_found', [acme.id], { repository: 'acme/two' });
      await createUserNotifications(registry.ctx.db, 'repo_push', [await namespaceId(registry, 'bob')], { repository: 'bob/x' });

      const res = await alice.get('/api/v1/user/notifications?limit=10');
      expectStatus(res);
      expect(res.body.additional).toBe(false);
      const byRepository = new Map(res.body.notifications.map((n: { metadata: { repository: string } }) => [n.metadata.repository, n]));
      expect([...byRepository.keys()].sort()).toEqual(['acme/two', 'alice/one']);
      expect(byRepository.get('alice/one')).toMatchObject({ kind: 'repo_push', organization: null, dismissed: false });
      expect(byRepository.get('acme/two')).toMatchObject({ kind: 'vulnerability_found', organization: 'acme', dismissed: false });
      const own = byRepository.get('alice/one') as { id: string; created: string };
      expect(own.created).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} -0000$/);

      const firstPage = await alice.get('/api/v1/user/notifications?limit=1');
      expect(firstPage.body.notifications).toHaveLength(1);
      expect(firstPage.body.additional).toBe(true);
      const secondPage = await alice.get('/api/v1/user/notifications?limit=1&page=2');
      expect(secondPage.body.notifications).toHaveLength(1);
      expect(secondPage.body.notifications[0].id).not.toBe(firstPage.body.notifications[0].id);

      const one = await alice.get(`/api/v1/user/notifications/${own.id}`);
      expectStatus(one);
      expect(one.body.metadata).toEqual({ repository: 'alice/one' });

      const dismissed = await alice.put(`/api/v1/user/notifications/${own.id}`, { dismissed: true });
      expectStatus(dismissed);
      expect(dismissed.body.dismissed).toBe(true);
      const after = await alice.get('/api/v1/user/notifications?limit=10');
      expect(after.body.notifications.map((n: { id: string }) => n.id)).not.toContain(own.id);
      expect((await alice.get(`/api/v1/user/notifications/${own.id}`)).body.dismissed).toBe(true);

      // Someone else's notification is not found; nor is a made-up id.
      expectApiError(await bob.get(`/api/v1/user/notifications/${own.id}`), 404);
      expectApiError(await bob.put(`/api/v1/user/notifications/${own.id}`, { dismissed: true }), 404);
      expectApiError(await alice.get('/api/v1/user/notifications/00000000-0000-4000-8000-000000000000'), 404);
      // dave is a member of acme but not an administrator: he does not see the organization's notifications.
      const dave = await sessionClient(registry, 'dave');
      expect((await dave.get('/api/v1/user/notifications')).body.notifications).toEqual([]);
    });

    it('needs a signed-in user and valid input', async () => {
      expectApiError(await anonymous.get('/api/v1/user/notifications'), 401);
      expectApiError(await anonymous.put('/api/v1/user/notifications/x', { dismissed: true }), 401);
      expectApiError(await alice.get('/api/v1/user/notifications?limit=0'), 400);
      expectApiError(await alice.get('/api/v1/user/notifications?page=-1'), 400);
      const aliceId = await namespaceId(registry, 'alice');
      await createUserNotifications(registry.ctx.db, 'repo_push', [aliceId], { repository: 'alice/bad-input' });
      const list = await alice.get('/api/v1/user/notifications?limit=100');
      const target = list.body.notifications.find((n: { metadata: { repository: string } }) => n.metadata.repository === 'alice/bad-input');
      expectApiError(await alice.put(`/api/v1/user/notifications/${target.id}`, { dismissed: 'yes' }), 400);
      expect((await alice.get(`/api/v1/user/notifications/${target.id}`)).body.dismissed).toBe(false);
    });
  });
});

describe('e-mail notifications without mailing', () => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startTestRegistry();
    await createUsers(registry, ['alice'], PASSWORD);
  });

  afterAll(async () => {
    await registry?.close();
  });

  it('are refused while FEATURE_MAILING is off', async () => {
    await new RegistryClient(registry.url, basicAuth('alice', PASSWORD)).pushImage('alice/app', 'v1', randomImage(1));
    const alice = await sessionClient(registry, 'alice');
    const res = await alice.post('/api/v1/repository/alice/app/notification/', {
      event: 'repo_push',
      method: 'email',
      config: { email: 'alice@example.com' },
      eventConfig: {},
    });
    expectApiError(res, 400, /mailing/);
  });
});
