import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as toYaml } from 'yaml';
import { createPostgresDatabase, type TestDialect } from './databases.js';

/**
 * The real `quayside serve` CLI as a child process, for tests that kill, stop and restart the
 * server: `node bin/quayside.js serve --data-dir DIR --config-dir DIR --port N`. Needs `npm run
 * build` (npm test does it first).
 */

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(REPO_ROOT, 'bin', 'quayside.js');
const LISTENING = /quayside listening on (https?:\/\/[^\s/]+:(\d+))/;
const METRICS = /quayside metrics on (http:\/\/[^\s]+\/metrics)/;
const OUTPUT_LIMIT = 64 * 1024;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

/**
 * Signals the child and every process it forked (`serve` runs node:cluster workers): the child is
 * spawned detached, so it leads its own process group, and the group's id is the child's pid.
 */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

export interface ServerProcessOptions {
  /** sqlite (default) or postgres: a fresh database named in config.yaml's DB_URI. */
  dialect?: TestDialect;
  /** Extra config.yaml keys. */
  config?: Record<string, unknown>;
  /** Milliseconds to wait for the "listening" line (default 30 s). */
  startTimeoutMs?: number;
  /** `serve --processes N` (default: the CLI's default, one per CPU). */
  processes?: number;
  /** `serve --log-level` (default warn; QUAYSIDE_TEST_LOG overrides). */
  logLevel?: string;
}

function assertBuilt(): void {
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/cli/main.js is missing: run `npm run build` first (npm test does)');
  }
}

function runCli(args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`quayside ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class ServerProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> = Promise.resolve(null);
  private outputText = '';
  private portNumber = 0;
  private metricsAddress: string | undefined;
  /** How many times the process has been started. */
  starts = 0;

  private constructor(
    readonly dataDir: string,
    readonly configDir: string,
    private readonly dropDatabase: (() => Promise<void>) | undefined,
    private readonly extraArgs: string[],
  ) {}

  /** Creates fresh data and config dirs (and a PostgreSQL database when asked) and starts the server. */
  static async start(options: ServerProcessOptions = {}): Promise<ServerProcess> {
    assertBuilt();
    const root = await mkdtemp(path.join(tmpdir(), 'quayside-proc-'));
    const dataDir = path.join(root, 'data');
    const configDir = path.join(root, 'config');
    await mkdir(dataDir);
    await mkdir(configDir);
    const config: Record<string, unknown> = { ...(options.config ?? {}) };
    let drop: (() => Promise<void>) | undefined;
    if (options.dialect === 'postgres') {
      const database = await createPostgresDatabase();
      config['DB_URI'] = database.uri;
      drop = database.drop;
    }
    if (Object.keys(config).length > 0) await writeFile(path.join(configDir, 'config.yaml'), toYaml(config));
    const extraArgs = ['--host', '127.0.0.1', '--log-level', options.logLevel ?? process.env['QUAYSIDE_TEST_LOG'] ?? 'warn'];
    if (options.processes !== undefined) extraArgs.push('--processes', String(options.processes));
    const server = new ServerProcess(dataDir, configDir, drop, extraArgs);
    await server.launch(0, options.startTimeoutMs ?? 30_000);
    return server;
  }

  get port(): number {
    return this.portNumber;
  }

  /** The Prometheus endpoint (`http://host:port/metrics`), when the server reported one. */
  get metricsUrl(): string | undefined {
    return this.metricsAddress;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  get host(): string {
    return `127.0.0.1:${this.portNumber}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get isRunning(): boolean {
    return this.child !== null;
  }

  /** The last 64 KiB of the process's stdout and stderr, for failure messages. */
  output(): string {
    return this.outputText;
  }

  /** The storage directory of the default embedded LocalStorage location. */
  get storageDir(): string {
    return path.join(this.dataDir, 'storage');
  }

  private append(text: string): void {
    this.outputText = (this.outputText + text).slice(-OUTPUT_LIMIT);
  }

  private async launch(port: number, timeoutMs: number): Promise<void> {
    const args = [BIN, 'serve', '--data-dir', this.dataDir, '--config-dir', this.configDir, '--port', String(port)];
    // An ephemeral metrics port, so that parallel servers do not compete for 9091.
    if (!this.extraArgs.includes('--metrics-port')) args.push('--metrics-port', '0');
    const child = spawn(process.execPath, [...args, ...this.extraArgs], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    running.add(child);
    this.child = child;
    this.starts++;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        if (this.child === child) this.child = null;
        this.append(`\n[process exited: code=${code} signal=${signal}]\n`);
        resolve(code);
      });
    });
    const listening = new Promise<number>((resolve, reject) => {
      let buffer = '';
      const timer = setTimeout(() => {
        reject(new Error(`quayside serve did not report listening within ${timeoutMs} ms:\n${this.outputText}`));
      }, timeoutMs);
      const onData = (chunk: Buffer): void => {
        const text = chunk.toString('utf8');
        this.append(text);
        buffer += text;
        const match = LISTENING.exec(buffer);
        if (match) {
          clearTimeout(timer);
          this.metricsAddress = METRICS.exec(buffer)?.[1];
          child.stdout?.off('data', onData);
          child.stdout?.on('data', (more: Buffer) => this.append(more.toString('utf8')));
          resolve(Number(match[2]));
        } else if (buffer.length > OUTPUT_LIMIT) {
          buffer = buffer.slice(-1024);
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => this.append(chunk.toString('utf8')));
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`quayside serve exited (code ${code}) before listening:\n${this.outputText}`));
      });
    });
    this.portNumber = await listening;
  }

  /** SIGKILL to the server and its workers at once: no cleanup, no flush. Resolves when it is gone. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child) return;
    killGroup(child, 'SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`). Resolves to the exit code. */
  async stop(timeoutMs = 15_000): Promise<number | null> {
    const child = this.child;
    if (!child) return null;
    child.kill('SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts the server again on the same dirs, and on the same port when it is free. */
  async restart(timeoutMs = 30_000): Promise<void> {
    if (this.child) await this.stop();
    let lastError: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await this.launch(this.portNumber, timeoutMs);
        return;
      } catch (err) {
        lastError = err;
        if (!/EADDRINUSE/.test(String(err))) break;
        await delay(250);
      }
    }
    throw lastError;
  }

  /** `quayside user create NAME --password P` against this instance's dirs. */
  async createUser(name: string, password: string, options: { superuser?: boolean } = {}): Promise<void> {
    const args = ['user', 'create', name, '--password', password, '--data-dir', this.dataDir, '--config-dir', this.configDir];
    if (options.superuser) args.push('--superuser');
    await runCli(args);
  }

  /** Stops the server and removes its dirs and database. */
  async close(): Promise<void> {
    await this.stop();
    await this.dropDatabase?.();
    await rm(path.dirname(this.dataDir), { recursive: true, force: true });
  }
}
