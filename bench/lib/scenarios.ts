import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from 'undici';
import { type BlobSpec, makeBlobSet, memoryBlob } from './blobs.js';
import {
  childrenCpuSeconds,
  ErrorLog,
  fromBuffer,
  fromSpec,
  getManifest,
  OCI_MANIFEST,
  openPool,
  percentile,
  pullBlob,
  pushChunked,
  pushMonolithic,
  putManifest,
  RequestError,
  runClosedLoop,
  runQueue,
  send,
} from './client.js';
import { writeImageLayout } from './image-layout.js';
import type { BlobSetPlan, Plan, RunResult, ScenarioInfo } from './plan.js';
import { machineBusySeconds, TreeMonitor } from './procstat.js';
import type { BenchServer } from './servers.js';

/**
 * The scenarios. Each one runs against every server in turn, with the same load, before the next
 * scenario starts; servers that are not being measured sit idle.
 */

export interface Context {
  plan: Plan;
  servers: BenchServer[];
  results: RunResult[];
  scenarios: ScenarioInfo[];
  tmp: string;
  log: (line: string) => void;
  /** The blob sets pushed (monolithic, one client) by the push scenarios, for the pulls. */
  pushed: Map<BlobSetPlan['key'], { repo: string; specs: BlobSpec[]; servers: Set<string> }>;
}

interface Measured {
  operations: number;
  bytes: number;
  metrics?: Record<string, number>;
}

/** Runs `body` against one server while watching the server's process tree and our own CPU. */
async function measure(
  ctx: Context,
  server: BenchServer,
  scenario: string,
  body: (errors: ErrorLog) => Promise<Measured>,
): Promise<RunResult> {
  const errors = new ErrorLog();
  const monitor = new TreeMonitor(server.pid);
  monitor.start();
  const database = server.databasePid !== undefined ? new TreeMonitor(server.databasePid) : null;
  database?.start();
  const busyBefore = machineBusySeconds();
  const cpuBefore = process.cpuUsage();
  const childBefore = childrenCpuSeconds();
  const started = performance.now();
  let measured: Measured = { operations: 0, bytes: 0 };
  try {
    measured = await body(errors);
  } catch (err) {
    errors.add(err);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const childProcessCpuSeconds = childrenCpuSeconds() - childBefore;
  const busy = machineBusySeconds() - busyBefore;
  const serverUsage = monitor.stop();
  const databaseUsage = database?.stop();
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const accounted = serverUsage.cpuSeconds + (databaseUsage?.cpuSeconds ?? 0) + cpuSeconds + childProcessCpuSeconds;
  const metrics: Record<string, number> = { seconds: wallSeconds, ...(measured.metrics ?? {}) };
  if (measured.bytes > 0 && metrics['mbPerSecond'] === undefined) metrics['mbPerSecond'] = measured.bytes / 1e6 / wallSeconds;
  const result: RunResult = {
    scenario,
    server: server.id,
    wallSeconds,
    operations: measured.operations,
    bytes: measured.bytes,
    metrics,
    errors: errors.count,
    errorSamples: errors.samples,
    serverUsage,
    ...(databaseUsage ? { databaseUsage } : {}),
    machine: { busyCores: busy / wallSeconds, otherCores: Math.max(0, busy - accounted) / wallSeconds },
    client: {
      cpuSeconds,
      userSeconds: cpu.user / 1e6,
      systemSeconds: cpu.system / 1e6,
      coresUsed: cpuSeconds / wallSeconds,
      childProcessCpuSeconds,
    },
  };
  ctx.results.push(result);
  const main = metrics['requestsPerSecond'] !== undefined
    ? `${metrics['requestsPerSecond'].toFixed(0)} req/s p99 ${metrics['p99Ms']?.toFixed(2)} ms`
    : metrics['mbPerSecond'] !== undefined && !scenario.startsWith('skopeo')
      ? `${metrics['mbPerSecond'].toFixed(1)} MB/s`
      : `${wallSeconds.toFixed(2)} s`;
  ctx.log(
    `  ${server.label.padEnd(16)} ${main.padEnd(28)} server ${serverUsage.cpuSeconds.toFixed(1)} cpu-s ` +
      `${(serverUsage.peakRss / 2 ** 20).toFixed(0)} MiB${databaseUsage ? ` (+ PostgreSQL ${databaseUsage.cpuSeconds.toFixed(1)} cpu-s)` : ''}, ` +
      `client ${result.client.coresUsed.toFixed(2)} cores, other ${result.machine.otherCores.toFixed(2)} cores` +
      (errors.count > 0 ? `  ${errors.count} ERRORS: ${errors.samples[0]}` : ''),
  );
  return result;
}

/** A private repository must refuse an anonymous GET, or the "private" scenario measures nothing. */
async function assertRefusedAnonymously(server: BenchServer, path: string): Promise<void> {
  const res = await fetch(`${server.origin}${path}`, { headers: { accept: OCI_MANIFEST }, signal: AbortSignal.timeout(30_000) });
  await res.arrayBuffer();
  if (res.status !== 401) throw new Error(`${server.label}: anonymous GET ${path} of a private repository answered ${res.status}`);
}

async function withPool<T>(origin: string, connections: number, fn: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = openPool(origin, connections);
  try {
    return await fn(pool);
  } finally {
    await pool.destroy().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// blobs

const PUSH_TARGET = { kind: 'ratio', op: '>=', value: 1.0, label: '≥ 1.0×' } as const;
const PULL_TARGET = { kind: 'ratio', op: '>=', value: 1.2, label: '≥ 1.2×' } as const;
const REQS_TARGET = { kind: 'ratio', op: '>=', value: 1.5, label: '≥ 1.5×' } as const;
const P99_TARGET = { kind: 'ratio', op: '<=', value: 1.0, label: '≤ 1.0×' } as const;

export async function pushScenarios(ctx: Context): Promise<void> {
  const { plan } = ctx;
  for (const set of plan.sets) {
    for (const mode of ['monolithic', 'chunked'] as const) {
      for (const clients of plan.pushConcurrency) {
        const id = `push-${set.key}-${mode}-c${clients}`;
        const title = `push ${set.label}, ${mode === 'chunked' ? `chunked ${plan.chunkSize / 2 ** 20} MiB PATCH` : 'monolithic POST+PUT'}, ${clients} client${clients > 1 ? 's' : ''}`;
        ctx.scenarios.push({
          id,
          group: 'push',
          title,
          rows: [{ metric: 'mbPerSecond', label: 'MB/s ↑', better: 'higher', target: PUSH_TARGET, digits: 1 }],
          params: { count: set.count, size: set.size, mode, clients, chunkSize: mode === 'chunked' ? plan.chunkSize : null },
        });
        ctx.log(`${title}: generating ${set.count} blobs and their digests`);
        const specs = makeBlobSet(set.count, set.size);
        const repo = `bench/push-${set.key}-${mode}-c${clients}`;
        for (const server of ctx.servers) {
          const authorization = await server.authorization(repo);
          const deadline = Date.now() + plan.runDeadlineMs;
          const result = await withPool(server.origin, clients, (pool) =>
            measure(ctx, server, id, async (errors) => {
              const done = await runQueue(specs, clients, deadline, errors, (spec) =>
                mode === 'monolithic'
                  ? pushMonolithic(pool, server.origin, repo, fromSpec(spec), authorization)
                  : pushChunked(pool, server.origin, repo, fromSpec(spec), plan.chunkSize, authorization),
              );
              return { operations: done, bytes: done * set.size };
            }),
          );
          if (mode === 'monolithic' && clients === plan.pushConcurrency[0] && result.errors === 0) {
            const entry = ctx.pushed.get(set.key) ?? { repo, specs, servers: new Set<string>() };
            entry.servers.add(server.id);
            ctx.pushed.set(set.key, entry);
          }
        }
      }
    }
  }
}

/** The blob set for the pulls: the one the push scenarios left, or pushed now (untimed). */
async function pullSet(ctx: Context, set: BlobSetPlan): Promise<{ repo: string; specs: BlobSpec[] }> {
  const existing = ctx.pushed.get(set.key);
  if (existing && ctx.servers.every((s) => existing.servers.has(s.id))) return existing;
  const repo = `bench/pull-${set.key}`;
  ctx.log(`pull ${set.label}: pushing the set first (not timed)`);
  const specs = makeBlobSet(set.count, set.size);
  for (const server of ctx.servers) {
    const authorization = await server.authorization(repo);
    const errors = new ErrorLog();
    await withPool(server.origin, 8, (pool) =>
      runQueue(specs, 8, Date.now() + ctx.plan.runDeadlineMs, errors, (spec) =>
        pushMonolithic(pool, server.origin, repo, fromSpec(spec), authorization),
      ),
    );
    if (errors.count > 0) throw new Error(`pushing the pull set to ${server.label} failed: ${errors.samples[0]}`);
  }
  return { repo, specs };
}

export async function pullScenarios(ctx: Context): Promise<void> {
  const { plan } = ctx;
  for (const set of plan.sets) {
    const { repo, specs } = await pullSet(ctx, set);
    // Pulls go to a private repository with a bearer token on Quayside (no auth on Distribution).
    for (const server of ctx.servers) {
      await server.makePrivate(repo);
      if (server.kind === 'quayside') await assertRefusedAnonymously(server, `/v2/${repo}/blobs/${specs[0]!.digest}`);
    }
    for (const clients of plan.pullConcurrency) {
      const id = `pull-${set.key}-c${clients}`;
      // Every client gets at least two blobs: the set is repeated when it is smaller than that.
      const repeat = Math.max(1, Math.ceil((2 * clients) / specs.length));
      const items: BlobSpec[] = [];
      for (let r = 0; r < repeat; r++) items.push(...specs);
      const title = `pull ${set.label}${repeat > 1 ? ` (each ${repeat} times)` : ''}, ${clients} client${clients > 1 ? 's' : ''}`;
      ctx.scenarios.push({
        id,
        group: 'pull',
        title,
        rows: [{ metric: 'mbPerSecond', label: 'MB/s ↑', better: 'higher', target: PULL_TARGET, digits: 1 }],
        params: { count: set.count, size: set.size, repeat, clients, privateRepository: true },
      });
      ctx.log(title);
      for (const server of ctx.servers) {
        const authorization = await server.authorization(repo);
        const deadline = Date.now() + plan.runDeadlineMs;
        await withPool(server.origin, clients, (pool) =>
          measure(ctx, server, id, async (errors) => {
            let bytes = 0;
            const done = await runQueue(items, clients, deadline, errors, async (spec) => {
              // Not `bytes += await ...`: that reads `bytes` before the await and loses updates.
              const read = await pullBlob(pool, repo, spec.digest, spec.size, authorization);
              bytes += read;
            });
            return { operations: done, bytes };
          }),
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// manifests

/** A small single-platform image (config, two layers) and its OCI manifest, as pushed everywhere. */
function manifestImage(): { blobs: Array<ReturnType<typeof memoryBlob>>; manifest: Buffer; digest: string } {
  const config = memoryBlob(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'] },
        rootfs: { type: 'layers', diff_ids: [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`] },
      }),
    ),
  );
  const layers = [memoryBlob(randomBytes(4096)), memoryBlob(randomBytes(2048))];
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
      annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z', 'org.opencontainers.image.title': 'bench' },
    }),
  );
  return { blobs: [config, ...layers], manifest, digest: memoryBlob(manifest).digest };
}

export async function manifestScenarios(ctx: Context): Promise<void> {
  const { plan } = ctx;
  const image = manifestImage();
  const accessModes = [
    { key: 'private', repo: 'bench/manifest-private', title: 'private repo, bearer token (Distribution: no auth)' },
    { key: 'public', repo: 'bench/manifest-public', title: 'public repo, anonymous' },
  ] as const;
  ctx.log('manifest GET: pushing the image to every server');
  for (const server of ctx.servers) {
    for (const access of accessModes) {
      const authorization = await server.authorization(access.repo);
      await withPool(server.origin, 1, async (pool) => {
        for (const blob of image.blobs) await pushMonolithic(pool, server.origin, access.repo, fromBuffer(blob), authorization);
        await putManifest(pool, access.repo, 'v1', image.manifest, authorization);
        if (access.key === 'private' && server.kind === 'quayside') {
          await server.makePrivate(access.repo);
          await assertRefusedAnonymously(server, `/v2/${access.repo}/manifests/v1`);
        }
        // And the anonymous one must be served anonymously.
        if (access.key === 'public') {
          const res = await send(pool, { method: 'GET', path: `/v2/${access.repo}/manifests/v1`, headers: { accept: OCI_MANIFEST }, expect: 200 });
          await res.body.dump();
        }
      });
    }
  }
  for (const access of accessModes) {
    for (const by of ['tag', 'digest'] as const) {
      const reference = by === 'tag' ? 'v1' : image.digest;
      for (const clients of plan.manifestConcurrency) {
        const id = `manifest-${access.key}-${by}-c${clients}`;
        const title = `manifest GET by ${by}, ${access.title}, ${clients} client${clients > 1 ? 's' : ''}`;
        const rows: ScenarioInfo['rows'] = [
          { metric: 'requestsPerSecond', label: 'req/s ↑', better: 'higher', target: REQS_TARGET, digits: 0 },
          {
            metric: 'p99Ms',
            detailMetric: 'p50Ms',
            label: 'p50 / p99 ms ↓',
            better: 'lower',
            ...(clients === 64 ? { target: P99_TARGET } : {}),
            digits: 2,
          },
        ];
        ctx.scenarios.push({
          id,
          group: 'manifest',
          title,
          rows,
          params: { by, access: access.key, clients, seconds: plan.manifestSeconds, warmupSeconds: plan.manifestWarmupSeconds },
        });
        ctx.log(title);
        for (const server of ctx.servers) {
          const authorization = access.key === 'private' ? await server.authorization(access.repo) : undefined;
          const get = (pool: Pool) => () => getManifest(pool, access.repo, reference, image.manifest.length, authorization);
          await withPool(server.origin, clients, async (pool) => {
            await runClosedLoop(plan.manifestWarmupSeconds * 1000, clients, new ErrorLog(), get(pool));
            await measure(ctx, server, id, async (errors) => {
              const started = performance.now();
              const latencies = await runClosedLoop(plan.manifestSeconds * 1000, clients, errors, get(pool));
              const seconds = (performance.now() - started) / 1000;
              latencies.sort((a, b) => a - b);
              return {
                operations: latencies.length,
                bytes: 0,
                metrics: {
                  requestsPerSecond: latencies.length / seconds,
                  p50Ms: percentile(latencies, 50),
                  p90Ms: percentile(latencies, 90),
                  p99Ms: percentile(latencies, 99),
                  maxMs: latencies[latencies.length - 1] ?? Number.NaN,
                },
              };
            });
          });
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// skopeo

function skopeo(args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('skopeo', args, { timeout: timeoutMs, maxBuffer: 4 * 2 ** 20 }, (err, stdout, stderr) => {
      if (err) reject(new RequestError(`skopeo ${args.slice(0, 2).join(' ')} failed: ${err.message.split('\n')[0]} ${stderr.slice(-300)} ${stdout.slice(-200)}`));
      else resolve();
    });
  });
}

export async function skopeoScenarios(ctx: Context): Promise<void> {
  const { plan } = ctx;
  const layoutDir = path.join(ctx.tmp, 'skopeo-layout');
  ctx.log(`skopeo: writing a ${plan.skopeo.layers}-layer image of ${(plan.skopeo.totalBytes / 1e6).toFixed(0)} MB`);
  const layout = await writeImageLayout(layoutDir, plan.skopeo.layers, plan.skopeo.totalBytes);
  const label = `${layout.layers} layers, ${(layout.totalBytes / 1e6).toFixed(0)} MB`;
  const common = { layers: layout.layers, bytes: layout.totalBytes, manifestDigest: layout.manifestDigest };
  ctx.scenarios.push({
    id: 'skopeo-push',
    group: 'skopeo',
    title: `skopeo copy OCI layout → registry (${label})`,
    rows: [{ metric: 'seconds', label: 'wall s ↓', better: 'lower', digits: 2 }],
    params: common,
  });
  ctx.scenarios.push({
    id: 'skopeo-pull',
    group: 'skopeo',
    title: `skopeo copy registry → OCI layout (${label})`,
    rows: [{ metric: 'seconds', label: 'wall s ↓', better: 'lower', digits: 2 }],
    params: common,
  });
  const timeout = Math.min(ctx.plan.runDeadlineMs, 600_000);
  const repo = 'bench/skopeo';
  ctx.log('skopeo copy OCI layout → registry');
  for (const server of ctx.servers) {
    const creds = server.credentials ? ['--dest-creds', server.credentials] : [];
    await measure(ctx, server, 'skopeo-push', async () => {
      await skopeo(
        ['copy', '--quiet', '--insecure-policy', '--dest-tls-verify=false', ...creds, `oci:${layoutDir}:${layout.tag}`, `docker://${server.host}/${repo}:v1`],
        timeout,
      );
      return { operations: 1, bytes: layout.totalBytes };
    });
  }
  ctx.log('skopeo copy registry → OCI layout');
  for (const server of ctx.servers) {
    const creds = server.credentials ? ['--src-creds', server.credentials] : [];
    const out = path.join(ctx.tmp, `skopeo-out-${server.id}`);
    await measure(ctx, server, 'skopeo-pull', async () => {
      await skopeo(
        ['copy', '--quiet', '--insecure-policy', '--src-tls-verify=false', ...creds, `docker://${server.host}/${repo}:v1`, `oci:${out}:v1`],
        timeout,
      );
      return { operations: 1, bytes: layout.totalBytes };
    });
    await rm(out, { recursive: true, force: true });
  }
  await rm(layoutDir, { recursive: true, force: true });
}
