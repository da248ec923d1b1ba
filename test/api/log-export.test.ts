import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Namespace } from '../../src/model/namespaces.js';
import { ensureRepository } from '../../src/model/repositories.js';
import { createLogExportWorker } from '../../src/workers/export-logs.js';
import type { QueueWorker } from '../../src/workers/queue-worker.js';
import { type ApiClient, expectApiError, expectStatus, sessionClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { addTeam, createOrganizationBy, createUsers } from '../helpers/fixtures.js';
import { decodedMail, startSmtpServer } from '../helpers/smtp.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

const PASSWORD = 'export-Pa55word!';
const QUAY_DAY = /^\d{2}\/\d{2}\/\d{4}$/;

// biome-ignore lint/suspicious/noExplicitAny: callback payloads and export documents are read field by field
type Json = any;

/** A real HTTP receiver on 127.0.0.1 for export callbacks; answers with `status`. */
class CallbackReceiver {
  readonly received: Json[] = [];
  status = 200;
  private readonly server: Server;

  constructor() {
    this.server = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.received.push({
          method: request.method,
          contentType: request.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        response.statusCode = this.status;
        response.end('ok');
      });
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe.each(testDialects())('usage log export (%s)', (dialect) => {
  let registry: TestRegistry;
  let receiver: CallbackReceiver;
  let callbackUrl: string;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let worker: QueueWorker;
  let acme: Namespace;
  let alice: ApiClient;
  let carol: ApiClient;

  async function latestEntry(kind: string): Promise<{ metadata: Json; performer_id: number | null; repository_id: number | null }> {
    await registry.ctx.usageLogs.flush();
    const row = await registry.ctx.db
      .selectFrom('log_entry')
      .select(['metadata', 'performer_id', 'repository_id'])
      .where('kind', '=', kind)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    return {
      metadata: JSON.parse(row.metadata),
      performer_id: row.performer_id === null ? null : Number(row.performer_id),
      repository_id: row.repository_id === null ? null : Number(row.repository_id),
    };
  }

  async function download(url: string): Promise<Json> {
    const response = await fetch(url);
    expect(response.status, url).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    return JSON.parse(await response.text());
  }

  beforeAll(async () => {
    receiver = new CallbackReceiver();
    callbackUrl = await receiver.start();
    smtp = await startSmtpServer();
    registry = await startTestRegistry({
      dialect,
      overrides: {
        FEATURE_MAILING: true,
        MAIL_SERVER: '127.0.0.1',
        MAIL_PORT: smtp.port,
        MAIL_USE_TLS: false,
        MAIL_DEFAULT_SENDER: 'registry@example.com',
        // The callback receiver listens on 127.0.0.1, which the default blacklist and the
        // outbound address policy refuse.
        WEBHOOK_HOSTNAME_BLACKLIST: [],
        SSRF_ALLOWED_HOSTS: ['127.0.0.1'],
      },
    });
    worker = createLogExportWorker(registry.ctx);
    await createUsers(registry, ['alice', 'carol'], PASSWORD);
    acme = await createOrganizationBy(registry, 'acme', 'alice');
    await addTeam(registry, acme.id, 'readers', 'member', ['carol']);
    await ensureRepository(registry.ctx.db, acme.id, { namespace: 'acme', name: 'app' }, 'private');
    alice = await sessionClient(registry, 'alice');
    carol = await sessionClient(registry, 'carol');
    expectStatus(await alice.put('/api/v1/organization/acme/team/builders', { role: 'member' }));
    expectStatus(await alice.put('/api/v1/repository/acme/app/permissions/user/carol', { role: 'read' }));
  });
  beforeEach(() => {
    receiver.status = 200;
  });
  afterAll(async () => {
    await registry?.close();
    await receiver?.close();
    await smtp?.close();
  });

  it("exports an organization's logs, POSTs Quay's callback JSON and serves the file", async () => {
    const before = receiver.received.length;
    const res = await alice.post('/api/v1/organization/acme/exportlogs', { callback_url: callbackUrl });
    expectStatus(res);
    const exportId = res.body.export_id as string;
    expect(exportId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await latestEntry('export_logs_success')).toMatchObject({
      metadata: { export_id: exportId, url: callbackUrl, email: null },
    });

    expect(await worker.drain()).toBe(1);
    expect(receiver.received).toHaveLength(before + 1);
    const callback = receiver.received[before];
    expect(callback.method).toBe('POST');
    expect(callback.contentType).toMatch(/^application\/json/);
    expect(callback.body).toEqual({
      export_id: exportId,
      start_time: expect.stringMatching(QUAY_DAY),
      end_time: expect.stringMatching(QUAY_DAY),
      namespace: 'acme',
      repository: null,
      exported_data_url: expect.stringMatching(new RegExp(`^${registry.url}/exportedlogs/${exportId}-`)),
      status: 'success',
    });

    const document = await download(callback.body.exported_data_url);
    expect(document.export_id).toBe(exportId);
    expect(document.details).toMatchObject({ namespace: 'acme', repository: null });
    const logs = document.logs as Json[];
    expect(logs.at(-1)).toEqual({ terminator: true });
    const kinds = logs.slice(0, -1).map((log) => log.kind);
    // Oldest first; the export's own success entry was written before the worker ran.
    expect(kinds).toEqual(['org_create_team', 'change_repo_permission', 'export_logs_success']);
    expect(logs[0]).toMatchObject({ metadata: { team: 'builders' }, ip: '127.0.0.1', performer: { name: 'alice', is_robot: false } });
  });

  it("exports only a repository's entries", async () => {
    const before = receiver.received.length;
    const res = await alice.post('/api/v1/repository/acme/app/exportlogs?starttime=01/01/2020', { callback_url: callbackUrl });
    expectStatus(res);
    expect(await latestEntry('export_logs_success')).toMatchObject({ metadata: { repo: 'app' }, repository_id: expect.any(Number) });
    expect(await worker.drain()).toBe(1);
    const callback = receiver.received[before];
    expect(callback.body).toMatchObject({ namespace: 'acme', repository: 'app', start_time: '01/01/2020', status: 'success' });
    const document = await download(callback.body.exported_data_url);
    const kinds = (document.logs as Json[]).slice(0, -1).map((log) => log.kind);
    expect(kinds).toEqual(['change_repo_permission', 'export_logs_success']);
  });

  it('e-mails the download link through the SMTP server', async () => {
    const before = smtp.mails.length;
    const res = await alice.post('/api/v1/user/exportlogs', { callback_email: 'alice-reports@example.com' });
    expectStatus(res);
    expect(await worker.drain()).toBe(1);
    expect(smtp.mails).toHaveLength(before + 1);
    const mail = smtp.mails[before]!;
    expect(mail.to).toEqual(['alice-reports@example.com']);
    const text = decodedMail(mail.raw);
    expect(text).toContain(res.body.export_id);
    const link = new RegExp(`${registry.url}/exportedlogs/[A-Za-z0-9-]+`).exec(text)?.[0];
    expect(link).toBeDefined();
    const document = await download(link!);
    expect(document.details).toMatchObject({ namespace: 'alice', repository: null });
    expect((document.logs as Json[]).map((log) => log.kind)).toContain('export_logs_success');
  });

  async function queuedExports() {
    return registry.ctx.db.selectFrom('queue_item').selectAll().where('queue_name', '=', 'exportactionlogs').execute();
  }

  /** Makes a released export available at once instead of after its back-off. */
  async function skipBackOff() {
    await registry.ctx.db.updateTable('queue_item').set({ available_after: 0 }).where('queue_name', '=', 'exportactionlogs').execute();
  }

  async function exportFiles(exportId: string) {
    return registry.ctx.db.selectFrom('log_export').select('file_id').where('export_id', '=', exportId).execute();
  }

  it('retries when the callback fails, reusing the written export, and delivers on a later attempt', async () => {
    receiver.status = 500;
    const before = receiver.received.length;
    const res = await alice.post('/api/v1/organization/acme/exportlogs', { callback_url: callbackUrl });
    expectStatus(res);
    expect(await worker.drain()).toBe(1);
    expect(receiver.received).toHaveLength(before + 1);
    const waiting = await queuedExports();
    expect(waiting).toHaveLength(1);
    expect(Number(waiting[0]!.retries_remaining)).toBe(2);

    receiver.status = 200;
    await skipBackOff();
    expect(await worker.drain()).toBe(1);
    expect(receiver.received).toHaveLength(before + 2);
    const [first, second] = receiver.received.slice(before);
    expect(second.body.status).toBe('success');
    // The second attempt reported the document the first one wrote: one file, one link.
    expect(second.body.exported_data_url).toBe(first.body.exported_data_url);
    expect(await exportFiles(res.body.export_id)).toHaveLength(1);
    expect(await queuedExports()).toEqual([]);
  });

  it('reports "failed" once, on the last attempt, by callback and e-mail', async () => {
    receiver.status = 500;
    const before = receiver.received.length;
    const mailsBefore = smtp.mails.length;
    const res = await alice.post('/api/v1/organization/acme/exportlogs', {
      callback_url: callbackUrl,
      callback_email: 'acme-reports@example.com',
    });
    expectStatus(res);
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(await worker.drain()).toBe(1);
      await skipBackOff();
    }
    expect(await worker.drain()).toBe(0);
    const statuses = receiver.received.slice(before).map((request) => request.body.status);
    expect(statuses).toEqual(['success', 'success', 'success', 'failed']);
    expect(await exportFiles(res.body.export_id)).toHaveLength(1);
    const mails = smtp.mails.slice(mailsBefore);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.to).toEqual(['acme-reports@example.com']);
    expect(decodedMail(mails[0]!.raw)).toContain('failed after every attempt');
    expect(await queuedExports()).toEqual([]);
  });

  it('refuses bad callbacks and bad dates, logging export_logs_failure', async () => {
    expectApiError(await alice.post('/api/v1/organization/acme/exportlogs', { callback_url: 'ftp://example.com/x' }), 400, /callback URL/);
    expect((await latestEntry('export_logs_failure')).metadata).toMatchObject({ url: 'ftp://example.com/x', error: 'Invalid callback URL' });
    expectApiError(await alice.post('/api/v1/organization/acme/exportlogs', { callback_email: 'not-an-address' }), 400, /e-mail/);
    expectApiError(
      await alice.post('/api/v1/repository/acme/app/exportlogs?starttime=05/05/2024&endtime=05/01/2024', { callback_url: callbackUrl }),
      400,
      /time span/,
    );
    expect(await latestEntry('export_logs_failure')).toMatchObject({ metadata: { repo: 'app' }, repository_id: expect.any(Number) });
    expectApiError(await alice.post('/api/v1/user/exportlogs?endtime=someday', { callback_url: callbackUrl }), 400);
    expect(await worker.drain()).toBe(0);
  });

  it('does not call a callback whose host was blacklisted after the export was queued', async () => {
    const before = receiver.received.length;
    expectStatus(await alice.post('/api/v1/organization/acme/exportlogs', { callback_url: callbackUrl }));
    const stricter = { ...registry.ctx, config: { ...registry.ctx.config, WEBHOOK_HOSTNAME_BLACKLIST: ['127.0.0.1'] } };
    expect(await createLogExportWorker(stricter).drain()).toBe(1);
    expect(receiver.received).toHaveLength(before);
    expect(await registry.ctx.db.selectFrom('queue_item').select('id').where('queue_name', '=', 'exportactionlogs').execute()).toEqual([]);
  });

  it('refuses non-administrators and records the refused organization export', async () => {
    expectApiError(await carol.post('/api/v1/organization/acme/exportlogs', { callback_url: callbackUrl }), 403);
    expect(await latestEntry('export_logs_failure')).toMatchObject({ metadata: { error: 'unauthorized', url: callbackUrl } });
    expectApiError(await carol.post('/api/v1/repository/acme/app/exportlogs', { callback_url: callbackUrl }), 403);
    expectApiError(await alice.post('/api/v1/organization/nope/exportlogs', { callback_url: callbackUrl }), 404);
    expectApiError(await alice.post('/api/v1/repository/acme/nope/exportlogs', { callback_url: callbackUrl }), 404);
    expect(await worker.drain()).toBe(0);
  });

  it('serves nothing for unknown or expired export links', async () => {
    expect((await fetch(`${registry.url}/exportedlogs/nothing-here`)).status).toBe(404);
    expect((await fetch(`${registry.url}/exportedlogs/..%2F..%2Fetc`)).status).toBe(404);
    const row = await registry.ctx.db.selectFrom('log_export').select('file_id').executeTakeFirstOrThrow();
    expect((await fetch(`${registry.url}/exportedlogs/${row.file_id}`)).status).toBe(200);
    await registry.ctx.db.updateTable('log_export').set({ expires_at: Date.now() - 1 }).where('file_id', '=', row.file_id).execute();
    const expired = await fetch(`${registry.url}/exportedlogs/${row.file_id}`);
    expect(expired.status).toBe(404);
    expect(JSON.stringify(await expired.json())).not.toMatch(/\.ts:\d+/);
  });
});

describe('usage log export switched off', () => {
  it('answers 404 when FEATURE_LOG_EXPORT is false', async () => {
    const registry = await startTestRegistry({ overrides: { FEATURE_LOG_EXPORT: false } });
    try {
      await createUsers(registry, ['alice'], PASSWORD);
      const alice = await sessionClient(registry, 'alice');
      expectApiError(await alice.post('/api/v1/user/exportlogs', { callback_url: 'http://127.0.0.1:9/hook' }), 404);
      expectStatus(await alice.get('/api/v1/user/logs'));
    } finally {
      await registry.close();
    }
  });
});

describe.each(testDialects())('usage log export callback host blacklist (%s)', (dialect) => {
  it('refuses a callback URL whose host is in WEBHOOK_HOSTNAME_BLACKLIST with 400 and queues nothing', async () => {
    const registry = await startTestRegistry({ dialect, overrides: { WEBHOOK_HOSTNAME_BLACKLIST: ['hooks.internal.example', '127.0.0.1'] } });
    try {
      await createUsers(registry, ['alice'], PASSWORD);
      const alice = await sessionClient(registry, 'alice');
      for (const url of ['http://hooks.internal.example/export', 'https://HOOKS.internal.example./export', 'http://127.0.0.1:9/hook']) {
        expectApiError(await alice.post('/api/v1/user/exportlogs', { callback_url: url }), 400, /Invalid callback URL/);
      }
      await registry.ctx.usageLogs.flush();
      const failures = await registry.ctx.db.selectFrom('log_entry').select('id').where('kind', '=', 'export_logs_failure').execute();
      expect(failures).toHaveLength(3);
      expect(await createLogExportWorker(registry.ctx).drain()).toBe(0);
      expectStatus(await alice.post('/api/v1/user/exportlogs', { callback_url: 'https://hooks.example.com/export' }));
    } finally {
      await registry.close();
    }
  });
});
