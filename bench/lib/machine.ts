import { execFile } from 'node:child_process';
import os from 'node:os';
import pg from 'pg';
import { DISTRIBUTION_BIN, REPO_ROOT } from './servers.js';

/** What the run happened on: hardware, versions of everything measured, the git commit. */

function run(command: string, args: string[], timeoutMs = 15_000): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: REPO_ROOT, timeout: timeoutMs }, (err, stdout) => {
      resolve(err ? null : stdout.trim());
    });
  });
}

async function postgresVersion(uri: string | null): Promise<string | null> {
  if (!uri) return null;
  const client = new pg.Client({ connectionString: uri, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const res = await client.query<{ server_version: string }>('SHOW server_version');
    return res.rows[0]?.server_version ?? null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  availableParallelism: number;
  memoryGiB: number;
  os: string;
  kernel: string;
  versions: {
    node: string;
    npm: string | null;
    postgresql: string | null;
    dockerRegistry: string | null;
    skopeo: string | null;
    undici: string | null;
  };
  git: { commit: string | null; dirty: boolean | null };
}

export async function machineInfo(postgresUri: string | null): Promise<MachineInfo> {
  const cpus = os.cpus();
  const [npm, postgresql, registry, skopeo, commit, status, undici] = await Promise.all([
    run('npm', ['--version']),
    postgresVersion(postgresUri),
    run(DISTRIBUTION_BIN, ['--version']),
    run('skopeo', ['--version']),
    run('git', ['rev-parse', 'HEAD']),
    // --no-optional-locks: read-only, never refreshes the index.
    run('git', ['--no-optional-locks', 'status', '--porcelain', '--untracked-files=no']),
    run(process.execPath, ['-p', "require('undici/package.json').version"]),
  ]);
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    kernel: os.release(),
    versions: {
      node: process.version,
      npm,
      postgresql,
      dockerRegistry: registry?.replace(/^.*?(v?\d+\.\d+\.\d+\S*).*$/s, '$1') ?? null,
      skopeo: skopeo?.replace(/^skopeo version /, '') ?? null,
      undici,
    },
    git: { commit, dirty: status === null ? null : status.length > 0 },
  };
}
