import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { stringify as toYaml } from 'yaml';

/**
 * The servers under test, each started fresh on 127.0.0.1 with its own data directory under the
 * run's temp folder: Quayside embedded (SQLite + local disk), Quayside on PostgreSQL + local disk,
 * and Debian's docker-registry (CNCF Distribution) on its filesystem driver. Every child runs in
 * its own process group and is killed when the harness exits, whatever the reason.
 */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const QUAYSIDE_BIN = path.join(REPO_ROOT, 'bin', 'quayside.js');
const LISTENING = /quayside listening on https?:\/\/[^\s/]+:(\d+)/;
const OUTPUT_LIMIT = 32 * 1024;
export const DISTRIBUTION_BIN = '/usr/bin/docker-registry';
export const BENCH_USER = 'bench';
export const BENCH_PASSWORD = 'bench-password-0123';

export type ServerId = 'distribution' | 'quayside-sqlite' | 'quayside-pg';
export const SERVER_IDS: readonly ServerId[] = ['distribution', 'quayside-sqlite', 'quayside-pg'];
export const SERVER_LABELS: Record<ServerId, string> = {
  distribution: 'Distribution',
  'quayside-sqlite': 'Quayside SQLite',
  'quayside-pg': 'Quayside PG',
};

export interface BenchServer {
  id: ServerId;
  label: string;
  kind: 'quayside' | 'distribution';
  origin: string;
  host: string;
  pid: number;
  /** The PostgreSQL postmaster whose backends serve this server's queries (quayside-pg). */
  databasePid?: number;
  /** What it runs with, recorded in the results. */
  settings: Record<string, string | number | boolean>;
  /** The Authorization header for pull and push on the repository, or undefined (no auth). */
  authorization(repo: string): Promise<string | undefined>;
  /** Turns a repository private (Quayside); a no-op for Distribution, which has no auth. */
  makePrivate(repo: string): Promise<void>;
  /** `user:password` for skopeo, or null. */
  credentials: string | null;
  /** Quayside's metadata database, for scenarios that seed it directly (the scale scenario). */
  database?: { kind: 'sqlite'; file: string } | { kind: 'postgres'; uri: string };
  /** Quayside's `--data-dir` and `--config-dir` arguments, for more processes on the same instance. */
  instanceArgs?: string[];
  /** The last lines the process printed. */
  output(): string;
  /** SIGTERM to the process group, SIGKILL after a grace period; drops its database. */
  stop(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// process groups

const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** SIGKILL to every server still running; safe to call from an 'exit' handler. */
export function killAllServers(): void {
  for (const child of running) killGroup(child, 'SIGKILL');
  running.clear();
}

process.once('exit', killAllServers);

interface Launched {
  child: ChildProcess;
  exited: Promise<void>;
  output(): string;
  onOutput(listener: (text: string) => void): void;
}

function launch(command: string, args: string[], env?: NodeJS.ProcessEnv): Launched {
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env: env ?? process.env,
  });
  running.add(child);
  let text = '';
  const listeners: Array<(t: string) => void> = [];
  const append = (chunk: Buffer): void => {
    const s = chunk.toString('utf8');
    text = (text + s).slice(-OUTPUT_LIMIT);
    for (const l of listeners) l(s);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      text += `\n[exited: code=${code} signal=${signal}]`;
      resolve();
    });
    child.once('error', (err) => {
      running.delete(child);
      text += `\n[spawn error: ${err.message}]`;
      resolve();
    });
  });
  return { child, exited, output: () => text, onOutput: (l) => listeners.push(l) };
}

async function stopLaunched(l: Launched, graceMs = 20_000): Promise<void> {
  if (!running.has(l.child)) return;
  killGroup(l.child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(l.child, 'SIGKILL'), graceMs);
  await l.exited;
  clearTimeout(timer);
  // Workers that outlived their primary.
  killGroup(l.child, 'SIGKILL');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function runNode(args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: REPO_ROOT, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`node ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls GET /v2/ until the server answers with one of the statuses (bounded). */
async function waitForV2(origin: string, statuses: number[], timeoutMs: number, l: Launched): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (!running.has(l.child)) throw new Error(`server exited before answering:\n${l.output()}`);
    try {
      const res = await fetch(`${origin}/v2/`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (statuses.includes(res.status)) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await delay(100);
  }
  throw new Error(`${origin}/v2/ not ready after ${timeoutMs} ms (${last}):\n${l.output()}`);
}

// ---------------------------------------------------------------------------------------------
// Quayside

/** The postmaster's pid (first line of postmaster.pid in the data directory), when readable here. */
async function postmasterPid(client: pg.Client): Promise<number | undefined> {
  try {
    const res = await client.query<{ data_directory: string }>('SHOW data_directory');
    const dir = res.rows[0]?.data_directory;
    if (!dir) return undefined;
    const pid = Number((await readFile(path.join(dir, 'postmaster.pid'), 'utf8')).split('\n', 1)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    // A remote server, or no permission: its CPU is not counted.
    return undefined;
  }
}

export interface QuaysideOptions {
  id: 'quayside-sqlite' | 'quayside-pg';
  root: string;
  processes: number;
  /** postgresql://… admin connection on which a fresh database is created (quayside-pg). */
  postgresAdminUri?: string;
  /** Start under `node --cpu-prof --cpu-prof-dir DIR` (the cluster workers inherit it). */
  cpuProfileDir?: string;
  logLevel: string;
  /** config.yaml keys besides the bench's own (the mirror run turns FEATURE_REPO_MIRROR on). */
  extraConfig?: Record<string, unknown>;
  /** `serve --workers`: the background workers the server runs itself (default all). */
  workers?: string;
}

export async function startQuayside(options: QuaysideOptions): Promise<BenchServer> {
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` first (`npm run bench` does)');
  }
  const base = path.join(options.root, options.id);
  const dataDir = path.join(base, 'data');
  const configDir = path.join(base, 'config');
  await mkdir(dataDir, { recursive: true });
  await mkdir(configDir, { recursive: true });
  const config: Record<string, unknown> = {
    // Repositories are created public on push: anonymous scenarios need no extra step, and the
    // private ones are turned private explicitly (makePrivate).
    CREATE_PRIVATE_REPO_ON_PUSH: false,
    ...options.extraConfig,
  };
  let dropDatabase: (() => Promise<void>) | undefined;
  let pgUri: string | undefined;
  let databasePid: number | undefined;
  if (options.id === 'quayside-pg') {
    if (!options.postgresAdminUri) throw new Error('quayside-pg needs a PostgreSQL admin URI');
    const name = `quayside_bench_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: options.postgresAdminUri, connectionTimeoutMillis: 5000 });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${name}"`);
      databasePid = await postmasterPid(admin);
    } finally {
      await admin.end();
    }
    const url = new URL(options.postgresAdminUri);
    url.pathname = `/${name}`;
    pgUri = url.toString();
    config['DB_URI'] = pgUri;
    dropDatabase = async () => {
      const client = new pg.Client({ connectionString: options.postgresAdminUri, connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    };
  }
  await writeFile(path.join(configDir, 'config.yaml'), toYaml(config));
  const instance = ['--data-dir', dataDir, '--config-dir', configDir];
  try {
    await runNode([QUAYSIDE_BIN, 'user', 'create', BENCH_USER, '--password', BENCH_PASSWORD, ...instance]);
  } catch (err) {
    await dropDatabase?.().catch(() => undefined);
    throw err;
  }

  const nodeFlags: string[] = [];
  if (options.cpuProfileDir) {
    const dir = path.join(options.cpuProfileDir, options.id);
    await mkdir(dir, { recursive: true });
    nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${dir}`);
  }
  const args = [
    ...nodeFlags,
    QUAYSIDE_BIN,
    'serve',
    ...instance,
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    '--processes',
    String(options.processes),
    '--log-level',
    options.logLevel,
    ...(options.workers !== undefined ? ['--workers', options.workers] : []),
  ];
  const l = launch(process.execPath, args);
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error(`quayside did not report listening in 60 s:\n${l.output()}`)), 60_000);
    l.onOutput((text) => {
      buffer = (buffer + text).slice(-4096);
      const match = LISTENING.exec(buffer);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void l.exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`quayside exited before listening:\n${l.output()}`));
    });
  }).catch(async (err: unknown) => {
    await stopLaunched(l);
    await dropDatabase?.().catch(() => undefined);
    throw err;
  });
  const origin = `http://127.0.0.1:${port}`;
  const host = `127.0.0.1:${port}`;
  try {
    await waitForV2(origin, [200, 401], 30_000, l);
  } catch (err) {
    await stopLaunched(l);
    await dropDatabase?.().catch(() => undefined);
    throw err;
  }

  const basic = `Basic ${Buffer.from(`${BENCH_USER}:${BENCH_PASSWORD}`).toString('base64')}`;
  const tokens = new Map<string, string>();
  const sqliteFile = path.join(dataDir, 'quayside.db');

  return {
    id: options.id,
    label: SERVER_LABELS[options.id],
    kind: 'quayside',
    origin,
    host,
    pid: l.child.pid!,
    ...(databasePid !== undefined ? { databasePid } : {}),
    credentials: `${BENCH_USER}:${BENCH_PASSWORD}`,
    database: pgUri ? { kind: 'postgres', uri: pgUri } : { kind: 'sqlite', file: sqliteFile },
    instanceArgs: instance,
    settings: {
      processes: options.processes,
      database: options.id === 'quayside-pg' ? 'PostgreSQL (fresh database)' : 'SQLite (WAL)',
      storage: 'LocalStorage under the temp data dir',
      logLevel: options.logLevel,
      CREATE_PRIVATE_REPO_ON_PUSH: false,
      auth: 'bearer token from /v2/auth (pull,push) on private repositories; anonymous on public ones',
      cpuProfile: options.cpuProfileDir !== undefined,
    },
    async authorization(repo: string): Promise<string | undefined> {
      const cached = tokens.get(repo);
      if (cached) return cached;
      const url = new URL('/v2/auth', origin);
      url.searchParams.set('service', host);
      url.searchParams.set('scope', `repository:${repo}:pull,push`);
      const res = await fetch(url, { headers: { authorization: basic }, signal: AbortSignal.timeout(30_000) });
      const body = (await res.json().catch(() => ({}))) as { token?: unknown };
      if (res.status !== 200 || typeof body.token !== 'string') {
        throw new Error(`token request for ${repo} failed: ${res.status} ${JSON.stringify(body)}`);
      }
      const header = `Bearer ${body.token}`;
      tokens.set(repo, header);
      return header;
    },
    async makePrivate(repo: string): Promise<void> {
      // There is no repository visibility API yet: flip the column directly, which the server
      // reads on every authorization (no cache).
      const slash = repo.indexOf('/');
      const namespace = repo.slice(0, slash);
      const name = repo.slice(slash + 1);
      const sql =
        "UPDATE repository SET visibility = 'private' WHERE name = $2 AND namespace_id = (SELECT id FROM namespace WHERE name = $1)";
      let changed = 0;
      if (pgUri) {
        const client = new pg.Client({ connectionString: pgUri, connectionTimeoutMillis: 5000 });
        await client.connect();
        try {
          changed = (await client.query(sql, [namespace, name])).rowCount ?? 0;
        } finally {
          await client.end();
        }
      } else {
        const db = new Database(sqliteFile);
        try {
          db.pragma('busy_timeout = 10000');
          changed = db.prepare(sql.replace('$2', '?').replace('$1', '?')).run(name, namespace).changes;
        } finally {
          db.close();
        }
      }
      if (changed !== 1) throw new Error(`could not make ${repo} private (${changed} rows)`);
    },
    output: () => l.output(),
    async stop(): Promise<void> {
      await stopLaunched(l);
      await dropDatabase?.().catch((err: unknown) => console.error(`dropping the bench database failed: ${String(err)}`));
    },
  };
}

/** A `quayside worker --only <names>` process on a started Quayside instance. */
export interface BenchWorker {
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

export function startQuaysideWorker(server: BenchServer, workers: readonly string[], logLevel = 'error'): BenchWorker {
  if (!server.instanceArgs) throw new Error(`${server.label} is not a Quayside instance`);
  const args = [QUAYSIDE_BIN, 'worker', '--only', workers.join(','), ...server.instanceArgs, '--log-level', logLevel, '--metrics-port', 'off'];
  const l = launch(process.execPath, args);
  return { pid: l.child.pid!, output: () => l.output(), stop: () => stopLaunched(l) };
}

// ---------------------------------------------------------------------------------------------
// Distribution

export async function startDistribution(root: string): Promise<BenchServer> {
  if (!existsSync(DISTRIBUTION_BIN)) {
    throw new Error(`${DISTRIBUTION_BIN} is missing: apt-get install -y docker-registry`);
  }
  const base = path.join(root, 'distribution');
  const storage = path.join(base, 'storage');
  await mkdir(storage, { recursive: true });
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const config = {
      version: 0.1,
      log: { level: 'error', accesslog: { disabled: true } },
      storage: {
        filesystem: { rootdirectory: storage },
        delete: { enabled: true },
        // Debian's default config.yml keeps blob descriptors in memory: what people run.
        cache: { blobdescriptor: 'inmemory' },
        maintenance: { uploadpurging: { enabled: false } },
      },
      http: { addr: `127.0.0.1:${port}` },
    };
    const configFile = path.join(base, 'config.yml');
    await writeFile(configFile, toYaml(config));
    const l = launch(DISTRIBUTION_BIN, ['serve', configFile]);
    const origin = `http://127.0.0.1:${port}`;
    try {
      await waitForV2(origin, [200], 20_000, l);
    } catch (err) {
      lastError = err;
      await stopLaunched(l);
      if (/address already in use/.test(l.output())) continue;
      throw err;
    }
    return {
      id: 'distribution',
      label: SERVER_LABELS.distribution,
      kind: 'distribution',
      origin,
      host: `127.0.0.1:${port}`,
      pid: l.child.pid!,
      credentials: null,
      settings: {
        processes: '1 (Go runtime, GOMAXPROCS = all cores)',
        storage: 'filesystem driver under the temp data dir',
        blobdescriptorCache: 'inmemory',
        logLevel: 'error, access log off',
        deleteEnabled: true,
        auth: 'none',
      },
      authorization: async () => undefined,
      makePrivate: async () => undefined,
      output: () => l.output(),
      stop: () => stopLaunched(l),
    };
  }
  throw lastError;
}
