import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WORKERS } from '../../src/workers/index.js';

/** `quayside worker` and `serve --workers`: selection, listing, and a clean stop on SIGTERM. */

const BIN = path.resolve('bin/quayside.js');
const dirs: string[] = [];

function quayside(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'quayside-worker-cli-'));
  dirs.push(dir);
  return dir;
}

/**
 * Runs the CLI until its output matches `ready`, waits `settleMs`, then sends SIGTERM; resolves to
 * the output, the exit code, and whether the process was still running when signalled.
 */
function runUntil(args: string[], ready: RegExp, settleMs = 0): Promise<{ output: string; code: number | null; aliveAtSignal: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let signalled = false;
    let aliveAtSignal = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no match for ${ready} within 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (!signalled && ready.test(output)) {
        signalled = true;
        setTimeout(() => {
          aliveAtSignal = child.exitCode === null && child.signalCode === null;
          child.kill('SIGTERM');
        }, settleMs);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ output, code, aliveAtSignal });
    });
  });
}

afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('quayside worker', () => {
  it('lists every worker with what it does', () => {
    const listed = quayside('worker', '--list');
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines).toHaveLength(WORKERS.length);
    for (const [i, worker] of WORKERS.entries()) {
      expect(lines[i]).toMatch(new RegExp(`^${worker.name}\\s+\\S`));
      expect(lines[i]).toContain(worker.description);
    }
  });

  it('refuses an unknown worker name with exit 2, naming the known ones', () => {
    const result = quayside('worker', '--only', 'notification,nope');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"nope"');
    for (const worker of WORKERS) expect(result.stderr).toContain(worker.name);
    expect(quayside('worker', '--only', ' , ').code).toBe(2);
    const serve = quayside('serve', '--workers', 'nope');
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain('"nope"');
  });

  it('runs the selected workers, says which, and exits 0 on SIGTERM', async () => {
    const run = await runUntil(
      ['worker', '--only', 'notification,exportactionlogs', '--data-dir', await dataDir(), '--metrics-port', '0', '--metrics-host', '127.0.0.1'],
      /quayside worker running: .*\n/,
    );
    expect(run.output).toMatch(/quayside metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(run.output).toMatch(/quayside worker running: exportactionlogs, notification \(pid \d+\)/);
    expect(run.output).toContain('stopping workers');
    expect(run.code).toBe(0);
  });

  it('stays up without a metrics endpoint until SIGTERM', async () => {
    const run = await runUntil(
      ['worker', '--only', 'gc', '--data-dir', await dataDir(), '--metrics-port', 'off'],
      /quayside worker running: .*\n/,
      1500,
    );
    expect(run.aliveAtSignal).toBe(true);
    expect(run.output).toContain('stopping workers');
    expect(run.code).toBe(0);
  });

  it('lets `serve --workers none` answer HTTP without background workers', async () => {
    const run = await runUntil(
      ['serve', '--workers', 'none', '--processes', '1', '--port', '0', '--host', '127.0.0.1', '--metrics-port', 'off', '--data-dir', await dataDir()],
      // The log line and the listening banner go out through different writers: either may come first.
      /^(?=[\s\S]*background workers: none)(?=[\s\S]*quayside listening)/,
    );
    expect(run.output).toMatch(/quayside listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(run.code).toBe(0);
  });
});
