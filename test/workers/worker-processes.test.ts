import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { type AppServices, openAppServices } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { findNamespace } from '../../src/model/namespaces.js';
import { createRepositoryNotification } from '../../src/model/notifications.js';
import { ensureRepositoryWithPermissions } from '../../src/model/repository-creation.js';
import { queueNotificationDelivery } from '../../src/model/repository-events.js';
import { createUser } from '../../src/model/users.js';
import { createPostgresDatabase, testDialects } from '../helpers/databases.js';
import { scrapeSamples, sumOf } from '../metrics/prometheus-text.js';

/**
 * Two `quayside worker --only notification` processes on one PostgreSQL database share 1,000
 * queued webhook deliveries: every item is delivered exactly once, both processes take part, and
 * both stop cleanly on SIGTERM. Needs `npm run build`.
 */

const ITEMS = 1000;
const BIN = path.resolve('bin/quayside.js');
const RUNNING = /quayside worker running: (.+) \(pid \d+\)/;
const METRICS = /quayside metrics on (http:\/\/\S+\/metrics)/;

/** Records the marker (the pushed tag) of every webhook delivery it receives. */
class Receiver {
  readonly markers: string[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { updated_tags?: string[] };
      this.markers.push(...(body.updated_tags ?? ['<none>']));
      res.end('ok');
    });
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** One `quayside worker` child process, with its output kept for failure messages. */
class WorkerProcess {
  output = '';
  metricsUrl = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(args: string[]) {
    this.child = spawn(process.execPath, [BIN, 'worker', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  /** Waits for the "running" line; returns the workers it names. */
  async started(timeoutMs = 30_000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const running = RUNNING.exec(this.output);
      if (running) {
        this.metricsUrl = METRICS.exec(this.output)?.[1] ?? '';
        return running[1]!.split(', ');
      }
      if (this.child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`quayside worker did not start:\n${this.output}`);
  }

  stop(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

const onPostgres = testDialects().includes('postgres');

describe.skipIf(!onPostgres)('two worker processes on one PostgreSQL database', () => {
  let root: string;
  let dropDatabase: (() => Promise<void>) | undefined;
  let services: AppServices;
  let receiver: Receiver;
  let workers: WorkerProcess[] = [];

  beforeAll(async () => {
    if (!existsSync(path.resolve('dist/cli/main.js'))) throw new Error('run `npm run build` first');
    root = await mkdtemp(path.join(tmpdir(), 'quayside-workers-'));
    const configDir = path.join(root, 'config');
    const dataDir = path.join(root, 'data');
    await mkdir(configDir);
    await mkdir(dataDir);
    const database = await createPostgresDatabase();
    dropDatabase = database.drop;
    // The receiver listens on 127.0.0.1, which the default blacklist and the address policy refuse.
    const config = { DB_URI: database.uri, SSRF_ALLOWED_HOSTS: ['127.0.0.1'], WEBHOOK_HOSTNAME_BLACKLIST: [] };
    await writeFile(path.join(configDir, 'config.yaml'), toYaml(config));
    services = await openAppServices(loadConfig({ configDir, dataDir, env: {} }), { logLevel: 'silent' });
    receiver = new Receiver();
    const hook = await receiver.start();

    const { db } = services.ctx;
    await createUser(db, services.ctx.config, { name: 'alice', password: 'workers-Pa55word!' });
    const alice = (await findNamespace(db, 'alice'))!;
    const repo = await ensureRepositoryWithPermissions(db, { namespace: alice, name: 'app', visibility: 'private', creatorId: alice.id });
    const notification = await createRepositoryNotification(db, {
      repositoryId: repo.id,
      event: 'repo_push',
      method: 'webhook',
      title: null,
      config: { url: hook },
      eventConfig: {},
    });

    const args = ['--only', 'notification', '--config-dir', configDir, '--data-dir', dataDir];
    workers = [0, 1].map(() => new WorkerProcess([...args, '--metrics-host', '127.0.0.1', '--metrics-port', '0', '--log-level', 'warn']));
    for (const worker of workers) expect(await worker.started()).toEqual(['notification']);

    // Queued while both processes poll, so that both take part.
    for (let start = 0; start < ITEMS; start += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          queueNotificationDelivery(db, notification.uuid, 'repo_push', { updated_tags: [`item-${start + i}`] }),
        ),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const worker of workers) worker.kill();
    await receiver?.close();
    await services?.close();
    await dropDatabase?.();
    if (root) await rm(root, { recursive: true, force: true });
  });

  async function queuedItems(): Promise<number> {
    const row = await services.ctx.db
      .selectFrom('queue_item')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('queue_name', '=', 'notification')
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  it('delivers each of 1,000 items exactly once, shared by both processes, and stops on SIGTERM', async () => {
    const deadline = Date.now() + 90_000;
    while ((await queuedItems()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await queuedItems(), workers.map((w) => w.output).join('\n')).toBe(0);

    expect(receiver.markers).toHaveLength(ITEMS);
    const distinct = new Set(receiver.markers);
    expect(distinct.size).toBe(ITEMS);
    for (let i = 0; i < ITEMS; i++) expect(distinct.has(`item-${i}`)).toBe(true);

    // Each process counts the items it claimed and completed; together, each item once.
    const acquired: number[] = [];
    let deleted = 0;
    for (const worker of workers) {
      const samples = await scrapeSamples(worker.metricsUrl);
      acquired.push(sumOf(samples, 'quay_queue_item_gets_total', { queue_name: 'notification', availability: 'acquired' }));
      deleted += sumOf(samples, 'quay_queue_item_deletes_total', { queue_name: 'notification' });
      expect(sumOf(samples, 'quay_worker_operation_duration_seconds_count', { worker: 'notification', process_name: 'worker' })).toBe(
        acquired.at(-1),
      );
    }
    expect(acquired[0]! + acquired[1]!).toBe(ITEMS);
    expect(deleted).toBe(ITEMS);
    expect(acquired[0]).toBeGreaterThan(0);
    expect(acquired[1]).toBeGreaterThan(0);

    expect(await Promise.all(workers.map((worker) => worker.stop()))).toEqual([0, 0]);
  }, 120_000);
});
