import type { TreeUsage } from './procstat.js';
import type { ServerId } from './servers.js';

/** What a run measures (full or --quick), and the shapes of its results. */

export const MiB = 1024 * 1024;
export const KiB = 1024;

export interface BlobSetPlan {
  key: 'big' | 'small';
  count: number;
  size: number;
  label: string;
}

export interface Plan {
  mode: 'full' | 'quick';
  sets: BlobSetPlan[];
  chunkSize: number;
  pushConcurrency: number[];
  pullConcurrency: number[];
  manifestConcurrency: number[];
  manifestSeconds: number;
  manifestWarmupSeconds: number;
  skopeo: { layers: number; totalBytes: number };
  sha256Bytes: number;
  /** No single scenario run (one server) may take longer than this. */
  runDeadlineMs: number;
}

export function makePlan(quick: boolean): Plan {
  if (quick) {
    return {
      mode: 'quick',
      sets: [
        { key: 'big', count: 4, size: 16 * MiB, label: '4×16 MiB' },
        { key: 'small', count: 200, size: 64 * KiB, label: '200×64 KiB' },
      ],
      chunkSize: 8 * MiB,
      pushConcurrency: [1, 8],
      pullConcurrency: [1, 32],
      manifestConcurrency: [1, 64],
      manifestSeconds: 1.5,
      manifestWarmupSeconds: 0.3,
      skopeo: { layers: 10, totalBytes: 30_000_000 },
      sha256Bytes: 256 * MiB,
      runDeadlineMs: 60_000,
    };
  }
  return {
    mode: 'full',
    sets: [
      { key: 'big', count: 16, size: 64 * MiB, label: '16×64 MiB' },
      { key: 'small', count: 1000, size: 64 * KiB, label: '1000×64 KiB' },
    ],
    chunkSize: 8 * MiB,
    pushConcurrency: [1, 8],
    pullConcurrency: [1, 32],
    manifestConcurrency: [1, 16, 64],
    manifestSeconds: 5,
    manifestWarmupSeconds: 1,
    skopeo: { layers: 10, totalBytes: 300_000_000 },
    sha256Bytes: 1024 * MiB,
    runDeadlineMs: 300_000,
  };
}

export interface Target {
  /** ratio: Quayside / Distribution compared with value; absolute: Quayside's figure itself. */
  kind: 'ratio' | 'absolute';
  op: '>=' | '<=';
  value: number;
  label: string;
}

export interface RowSpec {
  /** The metric the ratio and target use. */
  metric: string;
  /** Shown before the main metric in the cell ("p50 / p99"). */
  detailMetric?: string;
  label: string;
  better: 'higher' | 'lower';
  target?: Target;
  digits?: number;
}

export interface ScenarioInfo {
  id: string;
  group: 'push' | 'pull' | 'manifest' | 'skopeo' | 'sha256';
  title: string;
  rows: RowSpec[];
  params: Record<string, unknown>;
}

export interface RunResult {
  scenario: string;
  server: ServerId;
  wallSeconds: number;
  operations: number;
  bytes: number;
  metrics: Record<string, number>;
  errors: number;
  errorSamples: string[];
  serverUsage: TreeUsage;
  /** The PostgreSQL server's tree (every backend) while Quayside PG was measured. */
  databaseUsage?: TreeUsage;
  /**
   * Whole-machine CPU while measuring, in cores: busy, and what neither the server, its database,
   * the load generator nor its children used (kernel network work, and anything else running).
   */
  machine: { busyCores: number; otherCores: number };
  /** The load generator (this process, all threads): CPU, its user/system split, cores on average; skopeo's CPU. */
  client: { cpuSeconds: number; userSeconds: number; systemSeconds: number; coresUsed: number; childProcessCpuSeconds: number };
}
