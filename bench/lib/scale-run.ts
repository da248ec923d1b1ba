import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { machineInfo } from './machine.js';
import { makeScalePlan, type ScaleResult, scaleScenario, scaleTable } from './scale.js';
import { type BenchServer, killAllServers, REPO_ROOT, SERVER_LABELS, type ServerId, startQuayside } from './servers.js';

/**
 * `npm run bench -- --scale`: the scale scenario on each Quayside variant in turn (Distribution has
 * no such API), one fresh server at a time so the other is not running while one is measured.
 * Results go to bench/results/<date>-scale[-quick].json and the tables to stdout.
 */

export interface ScaleRunOptions {
  quick: boolean;
  serverIds: ServerId[];
  processes: number;
  pgUri: string;
  tmp: string;
  noWrite: boolean;
  strict: boolean;
  log: (line: string) => void;
}

export async function runScale(options: ScaleRunOptions): Promise<number> {
  const { log } = options;
  const plan = makeScalePlan(options.quick);
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const ids = options.serverIds.filter((id): id is 'quayside-sqlite' | 'quayside-pg' => id !== 'distribution');
  if (ids.length === 0) throw new Error('--scale measures Quayside only: name quayside-sqlite and/or quayside-pg');
  log(`quayside bench --scale, ${plan.mode} mode: ${plan.steps.map((s) => `${s.repositories} repositories / ${s.tags} tags`).join(', then ')}`);
  const results: ScaleResult[] = [];
  const skipped: Array<{ id: ServerId; reason: string }> = [];
  let failure: string | undefined;
  for (const id of ids) {
    let server: BenchServer | undefined;
    try {
      log(`starting ${SERVER_LABELS[id]}...`);
      server = await startQuayside({
        id,
        root: options.tmp,
        processes: options.processes,
        logLevel: 'error',
        ...(id === 'quayside-pg' ? { postgresAdminUri: options.pgUri } : {}),
      });
    } catch (err) {
      const reason = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      if (options.strict) throw err;
      log(`*** SKIPPING ${SERVER_LABELS[id]}: ${reason}`);
      skipped.push({ id, reason });
      continue;
    }
    try {
      results.push(...(await scaleScenario(server, plan, log)));
    } catch (err) {
      failure = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log(`\nscale scenario failed on ${server.label}: ${failure}\n--- output (tail):\n${server.output().slice(-2000)}`);
    } finally {
      await server.stop().catch((err: unknown) => log(`stopping ${server?.label}: ${String(err)}`));
      killAllServers();
    }
  }
  await rm(options.tmp, { recursive: true, force: true });

  const labels: Record<string, string> = { ...SERVER_LABELS };
  console.log('');
  console.log(scaleTable(results, labels));
  const errors = results.flatMap((r) => r.errors.map((e) => `${SERVER_LABELS[r.server]} ${r.step.repositories}/${r.step.tags}: ${e}`));
  if (errors.length > 0) console.log(`\nERRORS:\n${errors.map((e) => `- ${e}`).join('\n')}`);

  if (!options.noWrite) {
    const machine = await machineInfo(ids.includes('quayside-pg') ? options.pgUri : null);
    const resultsDir = path.join(REPO_ROOT, 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `${date.replace(/:/g, '-')}-scale${plan.mode === 'quick' ? '-quick' : ''}.json`);
    const report = { date, kind: 'scale', mode: plan.mode, machine, plan, processes: options.processes, skipped, results, ...(failure ? { failure } : {}) };
    await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nraw figures: ${path.relative(REPO_ROOT, file)}`);
  }
  if (failure) return 1;
  return errors.length > 0 ? 2 : 0;
}
