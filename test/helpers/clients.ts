import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Real OCI clients for the end-to-end tests. Debian packages skopeo, podman, buildah and umoci;
 * oras and cosign come from `../shared/tools/oci-clients.sh`, which unpacks them into
 * `.oci-clients/bin` at the repository root (`.ci/run` does that); docker needs a running
 * daemon (`../shared/tools/docker-engine.sh`).
 */
export type ClientName = 'skopeo' | 'podman' | 'buildah' | 'umoci' | 'oras' | 'cosign' | 'docker';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OCI_CLIENTS_BIN = path.join(REPO_ROOT, '.oci-clients', 'bin');

const isCI = (): boolean => process.env['CI'] === 'true';

function searchPath(): string[] {
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean);
  return [...dirs, OCI_CLIENTS_BIN];
}

/** The absolute path of a client binary, looking in PATH and then in `.oci-clients/bin`. */
export function findClient(name: ClientName): string | undefined {
  for (const dir of searchPath()) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function missing(name: ClientName, why: string): undefined {
  const message = `${name}: ${why}`;
  if (isCI()) {
    throw new Error(`CI=true and a required e2e client is unusable: ${message}. Run \`bash .ci/run\`, which installs it.`);
  }
  console.warn(`\n*** SKIPPING the ${name} end-to-end tests: ${message} ***\n`);
  return undefined;
}

/**
 * The path of a client the test needs. Under CI=true a missing client is an error (thrown while
 * the test file is collected, so the file fails); elsewhere this warns loudly and returns
 * undefined so the caller can `describe.skipIf(!bin)`.
 */
export function requireClient(name: ClientName): string | undefined {
  const bin = findClient(name);
  if (!bin) return missing(name, `not found in PATH or ${OCI_CLIENTS_BIN}`);
  if (name === 'docker') {
    const info = spawnSync(bin, ['info', '--format', '{{.ServerVersion}}'], { encoding: 'utf8', timeout: 20_000 });
    if (info.status !== 0) {
      return missing(name, `the Docker daemon does not answer (start it with ../shared/tools/docker-engine.sh): ${info.stderr.trim()}`);
    }
  }
  return bin;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Written to the child's stdin, which is then closed. */
  input?: string | Buffer;
  /** Kill the child (SIGKILL) after this long; default 120 s. */
  timeoutMs?: number;
}

export interface RunResult {
  command: string;
  stdout: string;
  stderr: string;
  /** Exit code; null when the process was killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

/** Runs a command without a shell and collects its output. Never rejects for a non-zero exit. */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const command = [cmd, ...args].map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part))).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], {
      cwd: options.cwd,
      env: { ...process.env, ...(options.env ?? {}) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        command,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code,
        signal,
        timedOut,
      });
    });
    child.stdin.on('error', () => {
      // the child may exit before reading its input
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Describes a finished command for an assertion message. */
export function describeRun(result: RunResult): string {
  const status = result.timedOut ? 'timed out' : result.signal ? `killed by ${result.signal}` : `exit ${result.code}`;
  return `$ ${result.command}\n(${status})\n--- stdout ---\n${result.stdout.slice(-4000)}\n--- stderr ---\n${result.stderr.slice(-4000)}`;
}

/** Like run(), but throws with the command's output when it does not exit 0. */
export async function runOk(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(cmd, args, options);
  if (result.code !== 0) throw new Error(`command failed:\n${describeRun(result)}`);
  return result;
}

/** Runs a command that is expected to fail; throws when it exits 0. */
export async function runFails(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const result = await run(cmd, args, options);
  if (result.code === 0) throw new Error(`command was expected to fail but succeeded:\n${describeRun(result)}`);
  if (result.timedOut) throw new Error(`command timed out instead of failing:\n${describeRun(result)}`);
  return result;
}
