import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/free-port.js';

/**
 * A PostgreSQL cluster of a test's own (initdb into a temp dir, trust auth, 127.0.0.1 on a free
 * port), for tests that stop and restart the server. The machine's shared cluster on 5432 is used
 * by other tests and must never be stopped.
 */

const run = promisify(execFile);
const POSTGRES_ROOT = '/usr/lib/postgresql';

export interface PrivatePostgres {
  /** postgresql://postgres@127.0.0.1:<port>/postgres */
  uri: string;
  start(): Promise<void>;
  /** pg_ctl stop -m fast: open connections are cut, new ones refused. */
  stop(): Promise<void>;
  /** Stops the server if it runs and deletes the cluster. */
  destroy(): Promise<void>;
}

/** The bin directory of the newest installed PostgreSQL that has initdb and pg_ctl. */
function postgresBinDir(): string | undefined {
  if (!existsSync(POSTGRES_ROOT)) return undefined;
  const versions = readdirSync(POSTGRES_ROOT)
    .filter((name) => /^\d+(\.\d+)?$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  return versions
    .map((version) => path.join(POSTGRES_ROOT, version, 'bin'))
    .find((bin) => existsSync(path.join(bin, 'initdb')) && existsSync(path.join(bin, 'pg_ctl')));
}

/**
 * Whether a private cluster can be made. Without initdb/pg_ctl the tests are skipped, loudly, on a
 * developer machine; under CI=true that is an error (.ci/run installs PostgreSQL).
 */
export function privatePostgresAvailable(): boolean {
  if (postgresBinDir()) return true;
  if (process.env['CI'] === 'true') {
    throw new Error(`CI=true but initdb and pg_ctl were not found under ${POSTGRES_ROOT}: the PostgreSQL outage test cannot be skipped in CI`);
  }
  console.warn(`initdb/pg_ctl not found under ${POSTGRES_ROOT}: SKIPPING the PostgreSQL outage health test`);
  return false;
}

/** The postgres system account, which root must switch to: PostgreSQL refuses to run as root. */
function postgresAccount(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const home = '/var/lib/postgresql';
  if (!existsSync(home)) throw new Error('running as root, but there is no postgres account to run PostgreSQL as');
  const { uid, gid } = statSync(home);
  return { uid, gid };
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('initdb/pg_ctl not found');
  const account = postgresAccount();
  const dir = await mkdtemp(path.join(tmpdir(), 'quayside-pg-'));
  if (account) await chown(dir, account.uid, account.gid);
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const postgres = (tool: string, args: string[]) =>
    account
      ? run('runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args])
      : run(path.join(bin, tool), args);
  const serverOptions = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  let running = false;

  const cluster: PrivatePostgres = {
    uri: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await postgres('pg_ctl', ['-D', dataDir, '-l', path.join(dir, 'server.log'), '-o', serverOptions, '-w', '-t', '30', 'start']);
      running = true;
    },
    async stop() {
      await postgres('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      running = false;
    },
    async destroy() {
      if (running) await cluster.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await postgres('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    await cluster.start();
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
  return cluster;
}
