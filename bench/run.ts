import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sha256Throughput } from './lib/blobs.js';
import { topSelfTime } from './lib/cpuprofile.js';
import { machineInfo } from './lib/machine.js';
import { makePlan } from './lib/plan.js';
import { buildRows, errorSummary, machineSummary, type Report, resourceTable, resultsMarkdown, resultsTable } from './lib/report.js';
import { runMirrorBench } from './lib/mirror-run.js';
import { runScale } from './lib/scale-run.js';
import { type Context, manifestScenarios, pullScenarios, pushScenarios, skopeoScenarios } from './lib/scenarios.js';
import {
  type BenchServer,
  killAllServers,
  REPO_ROOT,
  SERVER_IDS,
  SERVER_LABELS,
  type ServerId,
  startDistribution,
  startQuayside,
} from './lib/servers.js';

/**
 * `npm run bench [-- --quick] [--profile] [--servers ...] [--only ...]`: Quayside (SQLite and
 * PostgreSQL) against CNCF Distribution, side by side in one run. See docs/benchmarks.md.
 */

const GROUPS = ['push', 'pull', 'manifest', 'skopeo'] as const;
type Group = (typeof GROUPS)[number];

const USAGE = `usage: npm run bench -- [options]
  --quick              scaled-down run (< 3 minutes on 2 cores); never overwrites bench/RESULTS.md
  --profile            start Quayside under node --cpu-prof and print the top self-time functions
  --servers LIST       comma-separated subset of ${SERVER_IDS.join(',')}
  --only LIST          comma-separated subset of ${GROUPS.join(',')}
  --processes N        Quayside serve --processes (default: CPU count, ${os.availableParallelism()} here)
  --pg URI             PostgreSQL admin connection (default $QUAYSIDE_BENCH_PG, $QUAYSIDE_TEST_PG or
                       postgresql://postgres@127.0.0.1:5432/postgres)
  --keep               keep the temp folder (data dirs, configs) for inspection
  --no-write           print only; write no results files
  --report FILE        no run: print the tables of a results JSON again with the current code (and
                       rewrite bench/RESULTS.md from it when it is a complete full run)
  --scale              instead of the registry scenarios: page timings of the repository and tag
                       listings at 1,000/10,000 and 10,000/100,000 (--quick: 100/1,000 and 1,000/10,000)
  --mirror             instead of the registry scenarios: mirror a 500 MiB image from Distribution with
                       the repomirror worker (its memory sampled) against skopeo copy; fails when the
                       worker's memory grows past 200 MiB; writes bench/MIRROR-RESULTS.md
  --help`;

function list<T extends string>(text: string | undefined, allowed: readonly T[], name: string): T[] {
  if (text === undefined) return [...allowed];
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`--${name}: unknown "${item}" (one of ${allowed.join(', ')})`);
  }
  return allowed.filter((a) => items.includes(a));
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      servers: { type: 'string' },
      only: { type: 'string' },
      processes: { type: 'string' },
      pg: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      report: { type: 'string' },
      scale: { type: 'boolean', default: false },
      mirror: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.report) return rerender(values.report, values['no-write']);
  const serverIds = list(values.servers, SERVER_IDS, 'servers');
  const groups = list<Group>(values.only, GROUPS, 'only');
  const processes = values.processes === undefined ? os.availableParallelism() : Number(values.processes);
  if (!Number.isInteger(processes) || processes < 1) throw new Error(`--processes must be a positive integer`);
  const pgUri =
    values.pg ?? process.env['QUAYSIDE_BENCH_PG'] ?? process.env['QUAYSIDE_TEST_PG'] ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
  const strict = process.env['CI'] === 'true' || values.servers !== undefined;
  if (values.mirror) {
    return runMirrorBench({ tmp: await mkdtemp(path.join(os.tmpdir(), 'quayside-bench-mirror-')), noWrite: values['no-write'], log });
  }
  if (values.scale) {
    const scaleServers = values.servers === undefined ? serverIds.filter((id) => id !== 'distribution') : serverIds;
    return runScale({
      quick: values.quick,
      serverIds: scaleServers,
      processes,
      pgUri,
      tmp: await mkdtemp(path.join(os.tmpdir(), 'quayside-bench-scale-')),
      noWrite: values['no-write'],
      strict,
      log,
    });
  }
  const plan = makePlan(values.quick);
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const stamp = date.replace(/:/g, '-');

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'quayside-bench-'));
  const onSignal = (signal: NodeJS.Signals) => {
    log(`\n${signal}: stopping the servers`);
    killAllServers();
    if (!values.keep) rmSync(tmp, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // The whole run is bounded: a wedged server or client cannot keep CI waiting.
  const watchdogMs = values.quick ? 10 * 60_000 : 45 * 60_000;
  const watchdog = setTimeout(() => {
    log(`\nthe run exceeded ${watchdogMs / 60_000} minutes: killing the servers`);
    killAllServers();
    process.exit(3);
  }, watchdogMs);
  watchdog.unref();

  const profileDir = values.profile ? path.join(os.tmpdir(), `quayside-bench-profiles-${stamp}`) : undefined;
  const started = Date.now();
  log(`quayside bench, ${plan.mode} mode, temp folder ${tmp}`);

  log('one-core sha256 (node:crypto)...');
  const sha256 = sha256Throughput(plan.sha256Bytes);
  log(`  ${sha256.mbPerSecond.toFixed(0)} MB/s`);

  const servers: BenchServer[] = [];
  const skipped: Report['skipped'] = [];
  const ctx: Context = { plan, servers, results: [], scenarios: [], tmp, log, pushed: new Map() };
  let failure: string | undefined;
  let profiles: Record<string, unknown> | undefined;
  try {
    for (const id of serverIds) {
      try {
        log(`starting ${SERVER_LABELS[id]}...`);
        const server =
          id === 'distribution'
            ? await startDistribution(tmp)
            : await startQuayside({
                id,
                root: tmp,
                processes,
                logLevel: 'error',
                ...(id === 'quayside-pg' ? { postgresAdminUri: pgUri } : {}),
                ...(profileDir ? { cpuProfileDir: profileDir } : {}),
              });
        servers.push(server);
        log(`  ${server.origin} (pid ${server.pid})`);
      } catch (err) {
        const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
        if (strict) throw err;
        log(`*** SKIPPING ${SERVER_LABELS[id]}: ${reason}`);
        skipped.push({ id, reason });
      }
    }
    if (servers.length === 0) throw new Error('no server could be started');
    if (groups.includes('push')) await pushScenarios(ctx);
    if (groups.includes('pull')) await pullScenarios(ctx);
    if (groups.includes('manifest')) await manifestScenarios(ctx);
    if (groups.includes('skopeo')) {
      if (await hasSkopeo()) await skopeoScenarios(ctx);
      else if (process.env['CI'] === 'true') throw new Error('skopeo is not installed');
      else log('*** SKIPPING the skopeo scenarios: skopeo is not installed (apt-get install -y skopeo)');
    }
  } catch (err) {
    failure = err instanceof Error ? (err.stack ?? err.message) : String(err);
    log(`\nbenchmark failed: ${failure}`);
    for (const server of servers) log(`--- ${server.label} output (tail):\n${server.output().slice(-2000)}`);
  } finally {
    for (const server of servers) {
      await server.stop().catch((err: unknown) => log(`stopping ${server.label}: ${String(err)}`));
    }
    killAllServers();
    if (values.keep) log(`kept ${tmp}`);
    else await rm(tmp, { recursive: true, force: true });
  }

  if (profileDir) {
    profiles = {};
    for (const server of servers) {
      if (server.kind !== 'quayside') continue;
      const dir = path.join(profileDir, server.id);
      const summary = await topSelfTime(dir, 25);
      profiles[server.id] = { dir, ...summary };
    }
  }

  const ids = servers.map((s) => s.id);
  const machine = await machineInfo(serverIds.includes('quayside-pg') ? pgUri : null);
  const report: Report = {
    date,
    mode: plan.mode,
    profiled: profileDir !== undefined,
    machine,
    sha256,
    servers: servers.map((s) => ({ id: s.id, label: s.label, settings: s.settings })),
    skipped,
    plan,
    scenarios: ctx.scenarios,
    results: ctx.results,
    rows: buildRows(ctx.scenarios, ctx.results, ids, sha256.mbPerSecond),
    ...(profiles ? { profiles } : {}),
    ...(failure ? { failure } : {}),
  };

  const errors = printReport(report, ids);

  if (!values['no-write']) {
    const resultsDir = path.join(REPO_ROOT, 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    const suffix = plan.mode === 'quick' ? '-quick' : profileDir ? '-profile' : '';
    const file = path.join(resultsDir, `${stamp}${suffix}.json`);
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nraw figures: ${path.relative(REPO_ROOT, file)}`);
    if (isComplete(report)) {
      await writeFile(path.join(REPO_ROOT, 'bench', 'RESULTS.md'), resultsMarkdown(report, ids));
      console.log('table: bench/RESULTS.md');
    } else {
      console.log('bench/RESULTS.md left as it is (only a complete full run without --profile rewrites it)');
    }
  }
  console.log(`took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  clearTimeout(watchdog);
  if (failure) return 1;
  return errors.length > 0 ? 2 : 0;
}

/** Tables, errors and profiles of a report on stdout. Returns the error lines. */
function printReport(report: Report, ids: ServerId[]): string[] {
  console.log('');
  console.log(machineSummary(report));
  console.log('');
  console.log(resultsTable(report.rows, ids));
  console.log('');
  console.log(resourceTable(report.scenarios, report.results, ids));
  const errors = errorSummary(report.results);
  if (errors.length > 0) console.log(`\nERRORS (the figures of these scenarios are not valid):\n${errors.map((e) => `- ${e}`).join('\n')}`);
  if (report.profiles) printProfiles(report.profiles);
  return errors;
}

/** A complete full run: every server, every scenario group, no profiler, no failure. */
function isComplete(report: Report): boolean {
  const groups = new Set(report.scenarios.map((s) => s.group));
  return (
    report.mode === 'full' &&
    !report.profiled &&
    !report.failure &&
    report.servers.length === SERVER_IDS.length &&
    GROUPS.every((g) => groups.has(g))
  );
}

async function rerender(file: string, noWrite: boolean): Promise<number> {
  const report = JSON.parse(await readFile(file, 'utf8')) as Report;
  const ids = report.servers.map((s) => s.id);
  report.rows = buildRows(report.scenarios, report.results, ids, report.sha256?.mbPerSecond ?? null);
  printReport(report, ids);
  if (!noWrite && isComplete(report)) {
    await writeFile(path.join(REPO_ROOT, 'bench', 'RESULTS.md'), resultsMarkdown(report, ids));
    console.log('\ntable: bench/RESULTS.md');
  }
  return 0;
}

function printProfiles(profiles: Record<string, unknown>): void {
  for (const [id, value] of Object.entries(profiles)) {
    const summary = value as { dir: string; files: number; totalMs: number; top: Array<{ name: string; location: string; selfMs: number; percent: number }> };
    console.log(`\n${SERVER_LABELS[id as ServerId]}: top self time over ${summary.files} profiles (${(summary.totalMs / 1000).toFixed(1)} s sampled) in ${summary.dir}`);
    for (const f of summary.top.slice(0, 20)) {
      console.log(`  ${f.percent.toFixed(1).padStart(5)}%  ${f.selfMs.toFixed(0).padStart(7)} ms  ${f.name}  ${f.location}`);
    }
  }
}

async function hasSkopeo(): Promise<boolean> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => execFile('skopeo', ['--version'], (err) => resolve(!err)));
}

main().then(
  (code) => {
    killAllServers();
    process.exit(code);
  },
  (err: unknown) => {
    killAllServers();
    log(`bench: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
