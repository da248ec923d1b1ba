import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { DestinationStream } from 'pino';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import type { AppContext } from '../../src/context.js';
import { createUser } from '../../src/model/users.js';
import { createPostgresDatabase, type TestDialect } from './databases.js';

export interface TestRegistry {
  /** Base URL, e.g. http://127.0.0.1:40123 */
  url: string;
  /** host:port, as used in image references */
  host: string;
  ctx: AppContext;
  app: App;
  dataDir: string;
  createUser(name: string, password: string, options?: { email?: string; superuser?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface StartOptions {
  dialect?: TestDialect;
  /** config.yaml keys */
  overrides?: Record<string, unknown>;
  /** Receives the app's log lines (at logLevel, default QUAYSIDE_TEST_LOG or silent). */
  log?: { level: string; destination: DestinationStream };
  /** The built web UI to serve (default: dist/web, when built). */
  webUiRoot?: string;
}

/** Starts the real app on 127.0.0.1 and an ephemeral port, on a fresh SQLite file or PostgreSQL database. */
export async function startTestRegistry(options: StartOptions = {}): Promise<TestRegistry> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'quayside-test-'));
  const overrides: Record<string, unknown> = { ...(options.overrides ?? {}) };
  let dropDatabase: (() => Promise<void>) | undefined;
  if (options.dialect === 'postgres') {
    const database = await createPostgresDatabase();
    overrides['DB_URI'] = database.uri;
    dropDatabase = database.drop;
  }
  const config = loadConfig({ dataDir, overrides, env: {} });
  const app = await createApp(config, {
    logLevel: options.log?.level ?? process.env['QUAYSIDE_TEST_LOG'] ?? 'silent',
    logDestination: options.log?.destination,
    ...(options.webUiRoot ? { webUi: { root: options.webUiRoot } } : {}),
  });
  await app.server.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.server.address() as AddressInfo;
  const host = `127.0.0.1:${address.port}`;
  return {
    url: `http://${host}`,
    host,
    ctx: app.ctx,
    app,
    dataDir,
    async createUser(name, password, userOptions = {}) {
      await createUser(app.ctx.db, app.ctx.config, { name, password, ...userOptions });
    },
    async close() {
      await app.close();
      await dropDatabase?.();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
