import { execFile, spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { type ApiSession, apiCall, signIn } from './api-session.js';
import { openPool } from './client.js';
import { writeImageLayout } from './image-layout.js';
import { machineInfo } from './machine.js';
import { MiB } from './plan.js';
import { memory, TreeMonitor } from './procstat.js';
import { markdownTable } from './report.js';
import { BENCH_USER, type BenchServer, killAllServers, REPO_ROOT, startDistribution, startQuayside, startQuaysideWorker } from './servers.js';

/**
 * `npm run bench -- --mirror`: one repository mirror run of a 500 MB image from CNCF Distribution
 * into Quayside (SQLite), by the `repomirror` worker in its own process, sampling that process's
 * memory. The peer is what Quay's worker does for the same job: `skopeo copy --all` from the
 * source into Quayside. The run fails when the mirrored digest differs from the source's, or when
 * the worker's resident memory grows by more than MEMORY_GROWTH_LIMIT while it mirrors (the
 * issue's bound: the worker streams, it never holds a layer).
 */

export const MEMORY_GROWTH_LIMIT = 200 * MiB;
const LAYERS = 5;
const IMAGE_BYTES = 500 * MiB;
const ORG = 'mirror';
const ROBOT = 'syncer';
const SOURCE_REPOSITORY = 'bench/big';
const MIRROR_TIMEOUT_MS = 10 * 60_000;

const run = promisify(execFile);

export interface MirrorRunOptions {
  tmp: string;
  noWrite: boolean;
  log: (line: string) => void;
}

interface Measured {
  seconds: number;
  peakRss: number;
  idleRss: number | null;
}

function quayDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function mb(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}

async function skopeoDigest(reference: string, flags: string[]): Promise<string> {
  const { stdout } = await run('skopeo', ['inspect', ...flags, '--format', '{{.Digest}}', reference], { maxBuffer: 1 << 20 });
  return stdout.trim();
}

async function setUpMirror(server: BenchServer, session: ApiSession, sourceHost: string): Promise<void> {
  const pool = openPool(server.origin, 1);
  try {
    await apiCall(pool, session, 'POST', '/api/v1/organization/', { name: ORG, email: 'mirror@bench.invalid' });
    await apiCall(pool, session, 'PUT', `/api/v1/organization/${ORG}/robots/${ROBOT}`, {});
    await apiCall(pool, session, 'POST', '/api/v1/repository', { namespace: ORG, repository: 'big', visibility: 'private', description: '' });
    await apiCall(pool, session, 'PUT', `/api/v1/repository/${ORG}/big/changestate`, { state: 'MIRROR' });
    await apiCall(pool, session, 'POST', `/api/v1/repository/${ORG}/big/mirror`, {
      is_enabled: true,
      external_reference: `${sourceHost}/${SOURCE_REPOSITORY}`,
      sync_interval: 86_400,
      sync_start_date: quayDate(Date.now()),
      robot_username: `${ORG}+${ROBOT}`,
      root_rule: { rule_kind: 'tag_glob_csv', rule_value: ['*'] },
      external_registry_config: { verify_tls: false, proxy: {} },
    });
  } finally {
    await pool.close();
  }
}

/** Waits until the mirror reports SUCCESS; throws on FAIL or timeout. */
async function awaitMirrorSuccess(server: BenchServer, session: ApiSession): Promise<void> {
  const pool = openPool(server.origin, 1);
  try {
    const deadline = Date.now() + MIRROR_TIMEOUT_MS;
    while (Date.now() < deadline) {
      const body = (await apiCall(pool, session, 'GET', `/api/v1/repository/${ORG}/big/mirror`)) as {
        sync_status: string;
        last_sync?: { message?: string | null };
      };
      if (body.sync_status === 'SUCCESS') return;
      if (body.sync_status === 'FAIL') throw new Error(`the mirror sync failed: ${body.last_sync?.message ?? '(no message)'}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the mirror sync did not finish within ${MIRROR_TIMEOUT_MS / 60_000} minutes`);
  } finally {
    await pool.close();
  }
}

async function measureWorker(server: BenchServer, session: ApiSession, sourceHost: string, log: MirrorRunOptions['log']): Promise<Measured> {
  const worker = startQuaysideWorker(server, ['repomirror']);
  try {
    // An idle worker first: its resident memory is the base the growth is measured from.
    await new Promise((r) => setTimeout(r, 3000));
    const idleRss = memory(worker.pid)?.rss ?? null;
    log(`  worker idle RSS ${idleRss === null ? '?' : mb(idleRss)} MiB; configuring the mirror`);
    const monitor = new TreeMonitor(worker.pid);
    monitor.start(50);
    const started = performance.now();
    await setUpMirror(server, session, sourceHost);
    await awaitMirrorSuccess(server, session);
    const seconds = (performance.now() - started) / 1000;
    const usage = monitor.stop();
    return { seconds, peakRss: usage.peakRss, idleRss };
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- worker output:\n${worker.output().slice(-3000)}`);
  } finally {
    await worker.stop();
  }
}

async function measureSkopeoCopy(source: string, destination: string, credentials: string): Promise<Measured> {
  const started = performance.now();
  const child = spawn(
    'skopeo',
    ['copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', '--dest-creds', credentials, source, destination],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const monitor = new TreeMonitor(child.pid!);
  monitor.start(50);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  // skopeo has exited, taking its VmHWM with it: the peak is the highest of the 50 ms samples.
  const usage = monitor.stop();
  if (code !== 0) throw new Error(`skopeo copy failed (${code}): ${stderr.slice(-2000)}`);
  return { seconds: (performance.now() - started) / 1000, peakRss: usage.peakRssSampled, idleRss: null };
}

export async function runMirrorBench(options: MirrorRunOptions): Promise<number> {
  const { log, tmp } = options;
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  let distribution: BenchServer | undefined;
  let quayside: BenchServer | undefined;
  try {
    log(`quayside bench --mirror: ${mb(IMAGE_BYTES)} MiB in ${LAYERS} layers, temp folder ${tmp}`);
    const layoutDir = path.join(tmp, 'layout');
    await mkdir(layoutDir, { recursive: true });
    const layout = await writeImageLayout(layoutDir, LAYERS, IMAGE_BYTES);
    distribution = await startDistribution(tmp);
    const source = `docker://${distribution.host}/${SOURCE_REPOSITORY}:v1`;
    await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layoutDir}:${layout.tag}`, source], { maxBuffer: 1 << 20 });
    await rm(layoutDir, { recursive: true, force: true });
    const sourceDigest = await skopeoDigest(source, ['--tls-verify=false']);
    log(`  source ${source} ${sourceDigest} (${mb(layout.totalBytes)} MiB)`);

    quayside = await startQuayside({
      id: 'quayside-sqlite',
      root: tmp,
      processes: 1,
      logLevel: 'error',
      extraConfig: { FEATURE_REPO_MIRROR: true, REPO_MIRROR_INTERVAL: 1, SSRF_ALLOWED_HOSTS: ['127.0.0.1'] },
      // Only the measured worker process may sync: a serve running workers would race it.
      workers: 'none',
    });
    const pool = openPool(quayside.origin, 1);
    const session = await signIn(pool).finally(() => pool.close());

    log('repomirror worker (its own process)...');
    const worker = await measureWorker(quayside, session, distribution.host, log);
    const creds = quayside.credentials!;
    const mirroredDigest = await skopeoDigest(`docker://${quayside.host}/${ORG}/big:v1`, ['--tls-verify=false', '--creds', creds]);
    if (mirroredDigest !== sourceDigest) throw new Error(`mirrored digest ${mirroredDigest} differs from the source's ${sourceDigest}`);
    log(`  ${worker.seconds.toFixed(1)} s, peak RSS ${mb(worker.peakRss)} MiB; digest matches`);

    // A fresh instance for the peer: in the first one every blob is already stored, and Quayside
    // would mount them into the peer's repository instead of receiving them.
    await quayside.stop();
    quayside = await startQuayside({ id: 'quayside-sqlite', root: path.join(tmp, 'peer'), processes: 1, logLevel: 'error' });
    log('peer: skopeo copy --all into a fresh Quayside (what Quay runs for a mirror)...');
    const peer = await measureSkopeoCopy(source, `docker://${quayside.host}/${BENCH_USER}/peer:v1`, quayside.credentials!);
    log(`  ${peer.seconds.toFixed(1)} s, peak RSS ${mb(peer.peakRss)} MiB`);

    const growth = worker.idleRss === null ? null : worker.peakRss - worker.idleRss;
    const within = growth !== null && growth <= MEMORY_GROWTH_LIMIT;
    const table = markdownTable(
      ['mirror of one 500 MiB image', 'quayside repomirror worker', 'skopeo copy --all (Quay)', 'ratio'],
      [
        ['wall time, s ↓', worker.seconds.toFixed(1), peer.seconds.toFixed(1), `${(worker.seconds / peer.seconds).toFixed(2)}×`],
        ['MB/s ↑', (layout.totalBytes / 1e6 / worker.seconds).toFixed(1), (layout.totalBytes / 1e6 / peer.seconds).toFixed(1), `${(peer.seconds / worker.seconds).toFixed(2)}×`],
        ['peak RSS, MiB ↓', mb(worker.peakRss), mb(peer.peakRss), `${(worker.peakRss / peer.peakRss).toFixed(2)}×`],
        ['RSS growth while mirroring, MiB ↓', growth === null ? '?' : mb(growth), '', `limit ${mb(MEMORY_GROWTH_LIMIT)}`],
      ],
    );
    console.log(`\n${table}\n`);
    const machine = await machineInfo(null);
    const report = { date, mode: 'mirror', machine, imageBytes: layout.totalBytes, layers: LAYERS, worker, peer, growth, limit: MEMORY_GROWTH_LIMIT };
    if (!options.noWrite) {
      const stamp = date.replace(/:/g, '-');
      const file = path.join(REPO_ROOT, 'bench', 'results', `${stamp}-mirror.json`);
      await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
      const markdown = [
        '# Mirror benchmark (latest run)',
        '',
        'Written by `npm run bench -- --mirror` (see docs/benchmarks.md); overwritten by every run.',
        `Raw figures: \`bench/results/${stamp}-mirror.json\`.`,
        '',
        `- date: ${date}`,
        `- machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ${machine.kernel}`,
        `- versions: node ${machine.versions.node}, docker-registry ${machine.versions.dockerRegistry}, skopeo ${machine.versions.skopeo}`,
        `- commit: ${machine.git.commit}${machine.git.dirty ? ' (dirty)' : ''}`,
        `- image: ${LAYERS} layers, ${mb(layout.totalBytes)} MiB, from CNCF Distribution on 127.0.0.1 into Quayside (SQLite, local storage)`,
        `- worker RSS: idle ${worker.idleRss === null ? '?' : mb(worker.idleRss)} MiB, peak ${mb(worker.peakRss)} MiB (VmHWM after a reset, and samples every 50 ms)`,
        '- the peer is the `skopeo copy --all` Quay runs for each mirrored tag, into a fresh Quayside; its RSS is skopeo alone (sampled),',
        "  without the Python worker that launches it in Quay; the worker's figure is the whole Node.js process, registry code included",
        '',
        table,
        '',
      ].join('\n');
      await writeFile(path.join(REPO_ROOT, 'bench', 'MIRROR-RESULTS.md'), markdown);
      log(`wrote ${path.relative(REPO_ROOT, file)} and bench/MIRROR-RESULTS.md`);
    }
    if (!within) {
      log(`*** the worker's memory grew by ${growth === null ? '?' : mb(growth)} MiB while mirroring: over the ${mb(MEMORY_GROWTH_LIMIT)} MiB bound`);
      return 1;
    }
    return 0;
  } finally {
    await quayside?.stop().catch(() => undefined);
    await distribution?.stop().catch(() => undefined);
    killAllServers();
    await rm(tmp, { recursive: true, force: true });
  }
}
