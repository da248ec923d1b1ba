import type { MachineInfo } from './machine.js';
import type { Plan, RowSpec, RunResult, ScenarioInfo } from './plan.js';
import { type ServerId, SERVER_LABELS } from './servers.js';

/**
 * Turns the raw results into the tables: one row per scenario figure with every server's value,
 * the ratio Quayside / Distribution, the target and whether each Quayside variant meets it; and
 * a resource table (server CPU seconds and peak RSS, the load generator's CPU).
 */

/**
 * Above this many cores of CPU that neither the server, its database nor the load generator used
 * (kernel network work is part of it), something else was probably running: the figure is marked.
 */
export const BUSY_LIMIT = 0.5;

const CPU_PER_GB: RowSpec = { metric: 'serverCpuSecondsPerGB', label: 'server cpu-s/GB ↓', better: 'lower', digits: 2 };

const QUAYSIDES: ServerId[] = ['quayside-sqlite', 'quayside-pg'];
const SHORT: Record<ServerId, string> = { distribution: 'Distribution', 'quayside-sqlite': 'SQLite', 'quayside-pg': 'PG' };

export interface TableRow {
  scenario: string;
  title: string;
  metric: string;
  values: Partial<Record<ServerId, number>>;
  details: Partial<Record<ServerId, number>>;
  ratios: Partial<Record<ServerId, number>>;
  errors: Partial<Record<ServerId, number>>;
  /** CPU used by something other than the server, its database and the load generator (cores). */
  otherCores: Partial<Record<ServerId, number>>;
  target: string | null;
  verdict: string;
  /** Per Quayside variant: true met, false missed, null not judged. */
  met: Partial<Record<ServerId, boolean | null>>;
}

function result(results: RunResult[], scenario: string, server: ServerId): RunResult | undefined {
  return results.find((r) => r.scenario === scenario && r.server === server);
}

function judge(value: number, op: '>=' | '<=', threshold: number): boolean {
  return op === '>=' ? value >= threshold : value <= threshold;
}

function verdictOf(row: TableRow, servers: ServerId[], hasTarget: boolean): string {
  if (!hasTarget) return '';
  const present = QUAYSIDES.filter((s) => servers.includes(s));
  if (present.some((s) => (row.errors[s] ?? 0) > 0) || (row.errors.distribution ?? 0) > 0) return 'ERRORS';
  const missed = present.filter((s) => row.met[s] === false);
  const unjudged = present.filter((s) => row.met[s] === null || row.met[s] === undefined);
  if (present.length === 0 || unjudged.length === present.length) return 'n/a';
  if (missed.length === 0) return 'met';
  return `MISSED (${missed.map((s) => SHORT[s]).join(', ')})`;
}

export function buildRows(scenarios: ScenarioInfo[], results: RunResult[], servers: ServerId[], sha256MBps: number | null): TableRow[] {
  const rows: TableRow[] = [];
  for (const scenario of scenarios) {
    const specs = [...scenario.rows];
    if ((scenario.group === 'push' || scenario.group === 'pull') && !specs.some((r) => r.metric === CPU_PER_GB.metric)) {
      specs.push(CPU_PER_GB);
    }
    for (const spec of specs) rows.push(buildRow(scenario, spec, results, servers));
  }
  // The hashing limit: single-client monolithic push of the big blobs as a fraction of one core's sha256.
  const push = scenarios.find((s) => s.group === 'push' && s.params['mode'] === 'monolithic' && s.params['clients'] === 1 && s.id.includes('-big-'));
  if (push && sha256MBps) {
    const row: TableRow = {
      scenario: 'sha256-fraction',
      title: `${push.title.replace(/^push /, 'push ')} ÷ one-core sha256 (${sha256MBps.toFixed(0)} MB/s)`,
      metric: 'fraction ↑',
      values: {},
      details: {},
      ratios: {},
      errors: {},
      otherCores: {},
      target: 'Quayside ≥ 0.80',
      verdict: '',
      met: {},
    };
    for (const server of servers) {
      const r = result(results, push.id, server);
      if (!r) continue;
      row.values[server] = (r.metrics['mbPerSecond'] ?? 0) / sha256MBps;
      row.errors[server] = r.errors;
      row.otherCores[server] = r.machine.otherCores;
    }
    for (const server of QUAYSIDES) {
      const v = row.values[server];
      const d = row.values.distribution;
      if (v !== undefined && d !== undefined && d > 0) row.ratios[server] = v / d;
      row.met[server] = v === undefined ? null : judge(v, '>=', 0.8);
    }
    row.verdict = verdictOf(row, servers, true);
    rows.push(row);
  }
  return rows;
}

/**
 * A figure of a run: one it measured, or one derived from its raw data here (so old results files
 * can be re-rendered with rows added later). serverCpuSecondsPerGB: what the server (with its
 * PostgreSQL backends) spent per 10^9 bytes moved, the efficiency behind a throughput that the
 * machine may bound.
 */
export function metricValue(r: RunResult, metric: string): number | undefined {
  if (metric === 'serverCpuSecondsPerGB') {
    if (r.bytes <= 0) return undefined;
    return (r.serverUsage.cpuSeconds + (r.databaseUsage?.cpuSeconds ?? 0)) / (r.bytes / 1e9);
  }
  return r.metrics[metric];
}

function buildRow(scenario: ScenarioInfo, spec: RowSpec, results: RunResult[], servers: ServerId[]): TableRow {
  const row: TableRow = {
    scenario: scenario.id,
    title: scenario.title,
    metric: spec.label,
    values: {},
    details: {},
    ratios: {},
    errors: {},
    otherCores: {},
    target: spec.target?.label ?? null,
    verdict: '',
    met: {},
  };
  for (const server of servers) {
    const r = result(results, scenario.id, server);
    if (!r) continue;
    const v = metricValue(r, spec.metric);
    if (v !== undefined && Number.isFinite(v)) row.values[server] = v;
    if (spec.detailMetric) {
      const d = metricValue(r, spec.detailMetric);
      if (d !== undefined && Number.isFinite(d)) row.details[server] = d;
    }
    row.errors[server] = r.errors;
    row.otherCores[server] = r.machine.otherCores;
  }
  const base = row.values.distribution;
  for (const server of QUAYSIDES) {
    const v = row.values[server];
    if (v === undefined || base === undefined || base === 0) {
      row.met[server] = null;
      continue;
    }
    const ratio = v / base;
    row.ratios[server] = ratio;
    if (spec.target) {
      const measured = spec.target.kind === 'ratio' ? ratio : v;
      row.met[server] = judge(measured, spec.target.op, spec.target.value);
    } else {
      row.met[server] = null;
    }
  }
  row.verdict = verdictOf(row, servers, spec.target !== undefined);
  return row;
}

function fmt(value: number | undefined, digits: number): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  if (Math.abs(value) >= 1000) return value.toFixed(0);
  return value.toFixed(digits);
}

function digitsFor(row: TableRow): number {
  if (row.metric.startsWith('req/s')) return 0;
  if (row.metric.startsWith('p50')) return 2;
  if (row.metric.startsWith('fraction')) return 2;
  if (row.metric.startsWith('wall')) return 2;
  if (row.metric.startsWith('server')) return 2;
  return 1;
}

function cell(row: TableRow, server: ServerId): string {
  const digits = digitsFor(row);
  let text = fmt(row.values[server], digits);
  if (row.details[server] !== undefined) text = `${fmt(row.details[server], digits)} / ${text}`;
  const errors = row.errors[server] ?? 0;
  if (errors > 0) text += ` ⚠${errors} err`;
  if ((row.otherCores[server] ?? 0) > BUSY_LIMIT) text += ' ‡';
  return text;
}

/** A markdown table with padded columns, readable as plain text. */
export function markdownTable(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export function resultsTable(rows: TableRow[], servers: ServerId[]): string {
  const header = ['scenario', 'metric'];
  for (const server of servers) {
    header.push(SERVER_LABELS[server]);
    if (server !== 'distribution' && servers.includes('distribution')) header.push(`${SHORT[server]} ×`);
  }
  header.push('target', 'result');
  const body = rows.map((row) => {
    const cells = [row.title, row.metric];
    for (const server of servers) {
      cells.push(cell(row, server));
      if (server !== 'distribution' && servers.includes('distribution')) {
        const ratio = row.ratios[server];
        cells.push(ratio === undefined ? '–' : `${ratio.toFixed(2)}×`);
      }
    }
    cells.push(row.target ?? '', row.verdict);
    return cells;
  });
  return markdownTable(header, body);
}

export function resourceTable(scenarios: ScenarioInfo[], results: RunResult[], servers: ServerId[]): string {
  const header = ['scenario'];
  for (const server of servers) header.push(`${SERVER_LABELS[server]} cpu-s / peak MiB`);
  header.push('load generator cpu-s (cores)', 'other (cores)');
  const body = scenarios.map((scenario) => {
    const cells = [scenario.title];
    let clientCpu = 0;
    let clientCores = 0;
    let child = 0;
    let other = 0;
    for (const server of servers) {
      const r = result(results, scenario.id, server);
      if (!r) {
        cells.push('–');
        continue;
      }
      const db = r.databaseUsage ? ` + pg ${r.databaseUsage.cpuSeconds.toFixed(1)}` : '';
      cells.push(`${r.serverUsage.cpuSeconds.toFixed(1)}${db} / ${(r.serverUsage.peakRss / 2 ** 20).toFixed(0)}`);
      other = Math.max(other, r.machine.otherCores);
      clientCpu = Math.max(clientCpu, r.client.cpuSeconds);
      clientCores = Math.max(clientCores, r.client.coresUsed);
      child = Math.max(child, r.client.childProcessCpuSeconds);
    }
    cells.push(
      scenario.group === 'skopeo'
        ? `skopeo ${child.toFixed(1)}, harness ${clientCpu.toFixed(1)}`
        : `${clientCpu.toFixed(1)} (${clientCores.toFixed(2)})`,
      `${other.toFixed(2)}${other > BUSY_LIMIT ? ' ‡' : ''}`,
    );
    return cells;
  });
  return markdownTable(header, body);
}

export interface Report {
  date: string;
  mode: Plan['mode'];
  profiled: boolean;
  machine: MachineInfo;
  sha256: { mbPerSecond: number; bytes: number; seconds: number } | null;
  servers: Array<{ id: ServerId; label: string; settings: Record<string, string | number | boolean> }>;
  skipped: Array<{ id: ServerId; reason: string }>;
  plan: Plan;
  scenarios: ScenarioInfo[];
  results: RunResult[];
  rows: TableRow[];
  profiles?: Record<string, unknown>;
  failure?: string;
}

export function machineSummary(report: Report): string {
  const m = report.machine;
  const v = m.versions;
  return [
    `- date: ${report.date} (${report.mode} mode${report.profiled ? ', servers under --cpu-prof: figures are distorted' : ''})`,
    `- machine: ${m.cpuModel}, ${m.cores} cores (availableParallelism ${m.availableParallelism}), ${m.memoryGiB} GiB RAM, ${m.os}`,
    `- versions: node ${v.node}, npm ${v.npm ?? '?'}, PostgreSQL ${v.postgresql ?? '–'}, docker-registry ${v.dockerRegistry ?? '–'}, skopeo ${v.skopeo ?? '–'}, undici ${v.undici ?? '?'}`,
    `- commit: ${m.git.commit ?? 'unknown'}${m.git.dirty ? ' (with uncommitted changes)' : ''}`,
    `- one-core sha256 (node:crypto): ${report.sha256 ? `${report.sha256.mbPerSecond.toFixed(0)} MB/s` : '–'}`,
    ...report.servers.map((s) => `- ${s.label}: ${Object.entries(s.settings).map(([k, val]) => `${k} ${val}`).join('; ')}`),
    ...report.skipped.map((s) => `- ${SERVER_LABELS[s.id]}: SKIPPED (${s.reason})`),
  ].join('\n');
}

export function errorSummary(results: RunResult[]): string[] {
  return results
    .filter((r) => r.errors > 0)
    .map((r) => `${r.scenario} on ${SERVER_LABELS[r.server]}: ${r.errors} errors, e.g. ${r.errorSamples[0] ?? ''}`);
}

export function resultsMarkdown(report: Report, serverIds: ServerId[]): string {
  const errors = errorSummary(report.results);
  return [
    '# Benchmark results (latest full run)',
    '',
    'Written by `npm run bench` (see docs/benchmarks.md); overwritten by every full run.',
    'Ratios are Quayside / Distribution measured in the same run: for ↑ figures above 1 is better',
    'for Quayside, for ↓ figures (latency, wall time) below 1 is better. Raw figures:',
    `\`bench/results/${report.date.replace(/:/g, '-')}.json\`.`,
    '',
    machineSummary(report),
    '',
    '## Figures',
    '',
    resultsTable(report.rows, serverIds),
    '',
    '## Resources per scenario',
    '',
    'Server CPU seconds (user + system, whole process tree) and peak RSS (sum over the tree); the',
    "load generator's own CPU seconds and the cores it used on average (the machine has",
    `${report.machine.availableParallelism}). For skopeo, the CPU of the skopeo process itself. Quayside PG adds the`,
    'CPU of the PostgreSQL backends (`+ pg`). "other" is the CPU the machine spent on anything',
    `else (kernel network work included); above ${BUSY_LIMIT} cores (‡) something else was running and the figure is suspect.`,
    '',
    resourceTable(report.scenarios, report.results, serverIds),
    '',
    errors.length > 0 ? `## Errors\n\n${errors.map((e) => `- ${e}`).join('\n')}\n` : '',
  ].join('\n');
}
