import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findRepository } from '../../src/model/repositories.js';
import { queueRepositoryEvent } from '../../src/model/repository-events.js';
import type { QueueWorker } from '../../src/workers/queue-worker.js';
import { createNotificationWorker } from '../../src/workers/notifications.js';
import { type ApiClient, expectStatus, sessionClient } from '../helpers/api.js';
import { randomImage } from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { addTeam, createOrganizationBy, createUsers } from '../helpers/fixtures.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { decodedMail, mailSubject, startSmtpServer } from '../helpers/smtp.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'deliver-Pa55word!';

/** A webhook template expression, `${path}`. */
function expr(path: string): string {
  return ['$', '{', path, '}'].join('');
}

interface ReceivedRequest {
  path: string;
  contentType: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the received JSON's fields directly and assert on them
  body: any;
}

/** A real HTTP receiver on 127.0.0.1 that records every POST and answers with the status set for its path. */
class Receiver {
  readonly requests: ReceivedRequest[] = [];
  readonly statuses = new Map<string, number>();
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const path = req.url ?? '/';
        const text = Buffer.concat(chunks).toString('utf8');
        this.requests.push({ path, contentType: req.headers['content-type'], body: text ? JSON.parse(text) : undefined });
        res.statusCode = this.statuses.get(path) ?? 200;
        res.end('ok');
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  at(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe.each(testDialects())('notification delivery (%s)', (dialect) => {
  let registry: TestRegistry;
  let receiver: Receiver;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let worker: QueueWorker;
  let alice: ApiClient;

  async function pushedRepository(namespace = 'alice'): Promise<string> {
    const repo = `${namespace}/deliver-${randomBytes(4).toString('hex')}`;
    await new RegistryClient(registry.url, basicAuth('alice', PASSWORD)).pushImage(repo, 'v1', randomImage(1));
    return repo;
  }

  async function createNotification(repo: string, body: Record<string, unknown>): Promise<string> {
    const res = await alice.post(`/api/v1/repository/${repo}/notification/`, { eventConfig: {}, ...body });
    expectStatus(res, 201);
    return res.body.uuid as string;
  }

  async function notificationRow(uuid: string) {
    return registry.ctx.db
      .selectFrom('repository_notification')
      .selectAll()
      .where('uuid', '=', uuid)
      .executeTakeFirstOrThrow();
  }

  async function repositoryId(repo: string): Promise<number> {
    const [namespace, ...rest] = repo.split('/');
    const found = await findRepository(registry.ctx.db, { namespace: namespace!, name: rest.join('/') });
    return found!.id;
  }

  async function queuedNotificationItems(): Promise<number> {
    const row = await registry.ctx.db
      .selectFrom('queue_item')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('queue_name', '=', 'notification')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function sendTest(repo: string, uuid: string): Promise<void> {
    expectStatus(await alice.post(`/api/v1/repository/${repo}/notification/${uuid}/test`));
  }

  beforeAll(async () => {
    receiver = new Receiver();
    await receiver.start();
    smtp = await startSmtpServer();
    registry = await startTestRegistry({
      dialect,
      overrides: {
        // The receiver listens on 127.0.0.1, which the default blacklist and the address policy refuse.
        WEBHOOK_HOSTNAME_BLACKLIST: [],
        SSRF_ALLOWED_HOSTS: ['127.0.0.1'],
        FEATURE_MAILING: true,
        MAIL_SERVER: '127.0.0.1',
        MAIL_PORT: smtp.port,
        MAIL_USE_TLS: false,
        MAIL_DEFAULT_SENDER: 'registry@quayside.test',
        SERVER_HOSTNAME: 'registry.example.com',
      },
    });
    await createUsers(registry, ['alice', 'carol', 'dave', 'erin'], PASSWORD);
    const acme = await createOrganizationBy(registry, 'acme', 'alice');
    await addTeam(registry, acme.id, 'devs', 'member', ['dave', 'erin']);
    alice = await sessionClient(registry, 'alice');
    // Failed deliveries come back at once, so one drain runs every retry.
    worker = createNotificationWorker(registry.ctx, { retryDelayMs: () => 0 });
  });

  beforeEach(async () => {
    // Each test starts with an empty queue.
    await worker.drain();
  });

  afterAll(async () => {
    await registry?.close();
    await receiver?.close();
    await smtp?.close();
  });

  it('delivers a push to a webhook with Quay’s repo_push payload', async () => {
    const repo = await pushedRepository();
    const uuid = await createNotification(repo, { event: 'repo_push', method: 'webhook', config: { url: receiver.url('/push') } });
    await new RegistryClient(registry.url, basicAuth('alice', PASSWORD)).pushImage(repo, 'v2', randomImage(1));
    // The registry queues repo_push on a push; until it does, queue the event as the registry would.
    if ((await queuedNotificationItems()) === 0) {
      await queueRepositoryEvent(registry.ctx.db, await repositoryId(repo), 'repo_push', { updated_tags: ['v2'] });
    }
    expect(await worker.drain()).toBeGreaterThanOrEqual(1);

    const delivered = receiver.at('/push');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.contentType).toMatch(/^application\/json/);
    expect(delivered[0]!.body).toMatchObject({
      repository: repo,
      namespace: 'alice',
      name: repo.split('/')[1],
      docker_url: `registry.example.com/${repo}`,
      homepage: `http://registry.example.com/repository/${repo}`,
      updated_tags: ['v2'],
    });
    const row = await notificationRow(uuid);
    expect(Number(row.number_of_failures)).toBe(0);
    expect(row.last_ran_ms).not.toBeNull();
  });

  it('delivers the sample payload when the notification is tested', async () => {
    const repo = await pushedRepository();
    const uuid = await createNotification(repo, { event: 'repo_push', method: 'webhook', config: { url: receiver.url('/sample') } });
    await sendTest(repo, uuid);
    await worker.drain();
    const delivered = receiver.at('/sample');
    expect(delivered).toHaveLength(1);
    expect(delivered[0]!.body).toEqual({
      repository: repo,
      namespace: 'alice',
      name: repo.split('/')[1],
      docker_url: `registry.example.com/${repo}`,
      homepage: `http://registry.example.com/repository/${repo}`,
      updated_tags: ['latest', 'foo'],
      pruned_image_count: 3,
    });
  });

  it('applies a webhook template to the payload', async () => {
    const repo = await pushedRepository();
    const template = JSON.stringify({
      text: `Pushed ${expr('updated_tags[*]')} to ${expr('repository')}; missing: ${expr('nothing.here')}`,
      first: expr('updated_tags[0]'),
      tags: expr('updated_tags'),
      count: expr('pruned_image_count'),
      none: expr('nothing'),
      fixed: [1, true],
    });
    const uuid = await createNotification(repo, {
      event: 'repo_push',
      method: 'webhook',
      config: { url: receiver.url('/templated'), template },
    });
    await sendTest(repo, uuid);
    await worker.drain();
    expect(receiver.at('/templated').map((request) => request.body)).toEqual([
      {
        text: `Pushed latest,foo to ${repo}; missing: (none)`,
        first: 'latest',
        tags: ['latest', 'foo'],
        count: 3,
        none: null,
        fixed: [1, true],
      },
    ]);
  });

  it('delivers vulnerability_found only at or above the minimum severity', async () => {
    const repo = await pushedRepository();
    await createNotification(repo, {
      event: 'vulnerability_found',
      method: 'webhook',
      config: { url: receiver.url('/vulns') },
      eventConfig: { level: 1 },
    });
    const id = await repositoryId(repo);
    for (const priority of ['Low', 'Medium', 'High', 'Critical']) {
      await queueRepositoryEvent(registry.ctx.db, id, 'vulnerability_found', {
        tags: ['v1'],
        vulnerability: { id: `CVE-${priority}`, priority },
      });
    }
    await worker.drain();
    expect(receiver.at('/vulns').map((request) => request.body.vulnerability.priority)).toEqual(['High', 'Critical']);
  });

  it('counts failed deliveries (500), stops after three, and delivers again after a reset', async () => {
    const repo = await pushedRepository();
    const path = '/flaky';
    receiver.statuses.set(path, 500);
    const uuid = await createNotification(repo, { event: 'repo_push', method: 'webhook', config: { url: receiver.url(path) } });
    const id = await repositoryId(repo);

    await queueRepositoryEvent(registry.ctx.db, id, 'repo_push', { updated_tags: ['a'] });
    await worker.drain();
    // Three attempts, then the notification is disabled and the item is dropped.
    expect(receiver.at(path)).toHaveLength(3);
    expect(Number((await notificationRow(uuid)).number_of_failures)).toBe(3);
    expect(await queuedNotificationItems()).toBe(0);
    const shown = await alice.get(`/api/v1/repository/${repo}/notification/${uuid}`);
    expect(shown.body.number_of_failures).toBe(3);

    receiver.statuses.set(path, 200);
    await queueRepositoryEvent(registry.ctx.db, id, 'repo_push', { updated_tags: ['b'] });
    await worker.drain();
    expect(receiver.at(path)).toHaveLength(3);

    expectStatus(await alice.post(`/api/v1/repository/${repo}/notification/${uuid}`), 204);
    await queueRepositoryEvent(registry.ctx.db, id, 'repo_push', { updated_tags: ['c'] });
    await worker.drain();
    const requests = receiver.at(path);
    expect(requests).toHaveLength(4);
    expect(requests[3]!.body.updated_tags).toEqual(['c']);
    expect(Number((await notificationRow(uuid)).number_of_failures)).toBe(0);
  });

  it('counts a refused connection as a failure', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const repo = await pushedRepository();
    const uuid = await createNotification(repo, { event: 'repo_push', method: 'webhook', config: { url: `http://127.0.0.1:${port}/gone` } });
    await sendTest(repo, uuid);
    await worker.drain();
    expect(Number((await notificationRow(uuid)).number_of_failures)).toBe(3);
    expect(await queuedNotificationItems()).toBe(0);
  });

  /** A worker for this registry with `config` changed, and the messages it logs. */
  function workerWith(config: Partial<TestRegistry['ctx']['config']>) {
    const logged: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(chunk.toString('utf8'));
        done();
      },
    });
    const ctx = { ...registry.ctx, config: { ...registry.ctx.config, ...config }, log: pino({ level: 'warn' }, sink) };
    return { worker: createNotificationWorker(ctx, { retryDelayMs: () => 0 }), logged };
  }

  it('does not connect to a receiver whose address is no longer allow-listed, and counts the failure', async () => {
    const repo = await pushedRepository();
    const uuid = await createNotification(repo, { event: 'repo_push', method: 'webhook', config: { url: receiver.url('/unlisted') } });
    await sendTest(repo, uuid);
    const { worker: strict, logged } = workerWith({ SSRF_ALLOWED_HOSTS: [] });
    await strict.drain();
    expect(receiver.at('/unlisted')).toHaveLength(0);
    expect(Number((await notificationRow(uuid)).number_of_failures)).toBe(3);
    expect(logged.join('\n')).toContain('its host is not allowed');
    // The URL's path is never logged: it may hold the receiver's secret.
    expect(logged.join('\n')).not.toContain('/unlisted');
  });

  it('does not deliver a Slack message to a receiver whose address is no longer allow-listed', async () => {
    const repo = await pushedRepository();
    const uuid = await createNotification(repo, { event: 'repo_push', method: 'slack', config: { url: receiver.url('/slack-unlisted') } });
    await sendTest(repo, uuid);
    await workerWith({ SSRF_ALLOWED_HOSTS: ['10.0.0.0/8'] }).worker.drain();
    expect(receiver.at('/slack-unlisted')).toHaveLength(0);
    expect(Number((await notificationRow(uuid)).number_of_failures)).toBe(3);
  });

  it('stops e-mailing an address whose user lost access to the repository, and logs why', async () => {
    const repo = await pushedRepository();
    expectStatus(await alice.put(`/api/v1/repository/${repo}/permissions/user/carol`, { role: 'read' }));
    const uuid = await createNotification(repo, { event: 'repo_push', method: 'email', config: { email: 'carol@example.com' } });
    expectStatus(await alice.delete(`/api/v1/repository/${repo}/permissions/user/carol`), 204);
    // Public visibility alone does not let mail through either.
    expectStatus(await alice.post(`/api/v1/repository/${repo}/changevisibility`, { visibility: 'public' }));
    await sendTest(repo, uuid);
    const before = smtp.mails.length;
    const { worker: watched, logged } = workerWith({});
    await watched.drain();
    expect(smtp.mails).toHaveLength(before);
    expect(Number((await notificationRow(uuid)).number_of_failures)).toBe(3);
    expect(logged.join('\n')).toContain('no longer belongs to a user with access');
  });

  it('delivers build events only for refs the ref-regex matches, and never for overlong refs', async () => {
    const repo = await pushedRepository();
    await createNotification(repo, {
      event: 'build_success',
      method: 'webhook',
      config: { url: receiver.url('/builds') },
      eventConfig: { 'ref-regex': 'refs/heads/(main|release-.*)' },
    });
    const id = await repositoryId(repo);
    for (const ref of ['refs/heads/main', 'refs/heads/feature', 'refs/heads/release-1.2', `refs/heads/main${'x'.repeat(300)}`]) {
      await queueRepositoryEvent(registry.ctx.db, id, 'build_success', { build_id: ref, trigger_metadata: { ref } });
    }
    await worker.drain();
    expect(receiver.at('/builds').map((request) => request.body.trigger_metadata.ref)).toEqual(['refs/heads/main', 'refs/heads/release-1.2']);
  });

  it('drops queued deliveries of a notification deleted meanwhile', async () => {
    const repo = await pushedRepository();
    const uuid = await createNotification(repo, { event: 'repo_push', method: 'webhook', config: { url: receiver.url('/deleted') } });
    await sendTest(repo, uuid);
    expectStatus(await alice.delete(`/api/v1/repository/${repo}/notification/${uuid}`), 204);
    expect(await worker.drain()).toBe(1);
    expect(receiver.at('/deleted')).toHaveLength(0);
    expect(await queuedNotificationItems()).toBe(0);
  });

  it('e-mails the event to a local SMTP server', async () => {
    const repo = await pushedRepository();
    expectStatus(await alice.put(`/api/v1/repository/${repo}/permissions/user/carol`, { role: 'read' }));
    const uuid = await createNotification(repo, {
      event: 'repo_push',
      method: 'email',
      config: { email: 'carol@example.com' },
      title: 'Pushes',
    });
    await sendTest(repo, uuid);
    const before = smtp.mails.length;
    await worker.drain();
    expect(smtp.mails).toHaveLength(before + 1);
    const mail = smtp.mails[before]!;
    expect(mail.to).toEqual(['carol@example.com']);
    expect(mail.from).toBe('registry@quayside.test');
    expect(mailSubject(mail.raw)).toBe(`New content pushed to ${repo}`);
    const body = decodedMail(mail.raw);
    expect(body).toContain('Tags updated: latest, foo');
    expect(body).toContain(`http://registry.example.com/repository/${repo}`);
    expect(body).toContain('notification "Pushes"');
    expect(Number((await notificationRow(uuid)).number_of_failures)).toBe(0);
  });

  it('posts a Slack message to the incoming-webhook URL', async () => {
    const repo = await pushedRepository();
    const uuid = await createNotification(repo, { event: 'repo_push', method: 'slack', config: { url: receiver.url('/slack') } });
    await sendTest(repo, uuid);
    await worker.drain();
    const delivered = receiver.at('/slack');
    expect(delivered).toHaveLength(1);
    const message = delivered[0]!.body;
    expect(message.text).toBe(`New content pushed to ${repo}`);
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments[0]).toMatchObject({
      fallback: `New content pushed to ${repo}`,
      color: 'good',
      mrkdwn_in: ['text'],
    });
    expect(message.attachments[0].text).toContain('Tags updated: latest, foo');
    expect(message.attachments[0].text).toContain(`<http://registry.example.com/repository/${repo}|${repo}>`);
  });

  it('creates in-app notifications for a user, a team and an organization, listed by /api/v1/user/notifications', async () => {
    const repo = await pushedRepository('acme');
    await createNotification(repo, { event: 'repo_push', method: 'quay_notification', config: { target: { kind: 'user', name: 'carol' } } });
    await createNotification(repo, { event: 'repo_push', method: 'quay_notification', config: { target: { kind: 'team', name: 'devs' } } });
    await createNotification(repo, { event: 'repo_push', method: 'quay_notification', config: { target: { kind: 'org', name: 'acme' } } });
    await queueRepositoryEvent(registry.ctx.db, await repositoryId(repo), 'repo_push', { updated_tags: ['v9'] });
    expect(await worker.drain()).toBe(3);

    async function seenBy(username: string) {
      const res = await (await sessionClient(registry, username)).get('/api/v1/user/notifications?limit=100');
      expectStatus(res);
      return res.body.notifications.filter((n: { metadata: { repository?: string } }) => n.metadata.repository === repo);
    }
    for (const username of ['carol', 'dave', 'erin']) {
      const seen = await seenBy(username);
      expect(seen, username).toHaveLength(1);
      expect(seen[0]).toMatchObject({ kind: 'repo_push', organization: null, dismissed: false });
      expect(seen[0].metadata).toMatchObject({ repository: repo, updated_tags: ['v9'] });
    }
    // alice administers acme: she sees the organization's notification.
    const aliceSees = await seenBy('alice');
    expect(aliceSees).toHaveLength(1);
    expect(aliceSees[0]).toMatchObject({ kind: 'repo_push', organization: 'acme' });
  });
});
