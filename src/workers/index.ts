import type { AppContext } from '../context.js';
import { withWorkerMetrics } from '../metrics/worker-metrics.js';
import { startExportCleanupWorker } from './export-cleanup.js';
import { startLogExportWorker } from './export-logs.js';
import { startGcWorker } from './gc.js';
import { startNamespaceGcWorker } from './namespace-gc.js';
import { startNotificationWorker } from './notifications.js';
import { startQuotaTotalsWorker } from './quota-totals.js';
import { startRepoMirrorWorker } from './repo-mirror.js';
import { startRepositoryGcWorker } from './repository-gc.js';
import { startTeamSyncWorker } from './team-sync.js';
import { startUploadCleanupWorker } from './upload-cleanup.js';

/** A running worker; stop() finishes or releases the work in hand. */
export interface RunningWorker {
  stop(): Promise<void>;
}

/**
 * One kind of background work, by the name `quayside worker --only` takes. start() returns
 * undefined when the configuration turns the worker off (its FEATURE_* flag, say).
 */
export interface WorkerDefinition {
  name: string;
  description: string;
  start(ctx: AppContext): RunningWorker | undefined;
}

/** Every worker, in start order. */
export const WORKERS: readonly WorkerDefinition[] = [
  { name: 'teamsync', description: 'syncs teams bound to LDAP groups', start: (ctx) => startTeamSyncWorker(ctx) },
  { name: 'exportactionlogs', description: 'exports usage logs to storage', start: (ctx) => startLogExportWorker(ctx) },
  { name: 'notification', description: 'delivers repository notifications', start: (ctx) => startNotificationWorker(ctx) },
  { name: 'gc', description: 'collects expired tags, unreferenced manifests and blobs', start: (ctx) => startGcWorker(ctx) },
  { name: 'quotatotal', description: 'keeps namespace and repository sizes current for quotas', start: (ctx) => startQuotaTotalsWorker(ctx) },
  { name: 'repositorygc', description: 'purges deleted repositories and the blobs only they held', start: (ctx) => startRepositoryGcWorker(ctx) },
  { name: 'namespacegc', description: 'purges deleted users and organizations after the grace period', start: (ctx) => startNamespaceGcWorker(ctx) },
  { name: 'blobuploadcleanup', description: 'removes upload sessions left unfinished for too long', start: (ctx) => startUploadCleanupWorker(ctx) },
  { name: 'repomirror', description: 'syncs mirrored repositories from their external registries', start: (ctx) => startRepoMirrorWorker(ctx) },
  { name: 'exportedlogscleanup', description: 'removes expired usage-log exports and their documents', start: (ctx) => startExportCleanupWorker(ctx) },
];

export const WORKER_NAMES: readonly string[] = WORKERS.map((w) => w.name);

/** What is wrong with a selection of workers, naming the known ones; undefined when every name is known. */
export function unknownWorkersProblem(names: readonly string[]): string | undefined {
  const unknown = names.filter((name) => !WORKER_NAMES.includes(name));
  if (unknown.length === 0) return undefined;
  return `unknown worker ${unknown.map((n) => `"${n}"`).join(', ')}; known: ${WORKER_NAMES.join(', ')}`;
}

/** The background workers one process runs. */
export interface BackgroundWorkers {
  /** Names of the workers that started (enabled by configuration and selected). */
  readonly running: readonly string[];
  stop(): Promise<void>;
}

/**
 * Starts the selected workers (all when `only` is absent). Throws on an unknown name, so a typo
 * in `--only` fails at start instead of silently running nothing.
 */
export function startBackgroundWorkers(ctx: AppContext, only?: readonly string[]): BackgroundWorkers {
  const problem = unknownWorkersProblem(only ?? []);
  if (problem) throw new Error(problem);
  const started: Array<{ name: string; worker: RunningWorker }> = [];
  for (const definition of WORKERS) {
    if (only && !only.includes(definition.name)) continue;
    // Workers built while starting count into this process's metrics (see withWorkerMetrics).
    const worker = withWorkerMetrics(ctx.metrics, () => definition.start(ctx));
    if (worker) started.push({ name: definition.name, worker });
  }
  return {
    running: started.map((s) => s.name),
    async stop() {
      await Promise.all(started.map((s) => s.worker.stop()));
    },
  };
}
