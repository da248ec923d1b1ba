import { hostname } from 'node:os';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics with Quay's names and labels, so that existing dashboards and alerts work.
 * One registry per process, labelled with host, pid and process_name as Quay's are; the exposition
 * endpoint reads it. Gauges whose value lives in the database (row counts, queue depths) are filled
 * at scrape time by collectors registered with `onCollect`: those gauges run the collectors from
 * prom-client's own `collect` hook, so every reader of the registry (the /metrics endpoint and the
 * cluster aggregation of `serve --processes N`) sees fresh values.
 */
export interface Metrics {
  registry: Registry;
  /** quay_authentication_attempts_total{auth_kind, success}: every credential check, passed or failed. */
  authenticationAttempts: Counter<'auth_kind' | 'success'>;
  /** quay_request_duration_seconds{method, route, status, namespace_name}. */
  requestDuration: Histogram<'method' | 'route' | 'status' | 'namespace_name'>;

  /** quay_registry_image_pulls_total{protocol, ref, status}: manifest GETs; ref is tag or manifest. */
  imagePulls: Counter<'protocol' | 'ref' | 'status'>;
  /** quay_registry_image_pulled_bytes_total: blob bytes served. */
  imagePulledBytes: Counter;
  /** quay_registry_image_pushes_total{protocol, status, media_type}: manifest PUTs. */
  imagePushes: Counter<'protocol' | 'status' | 'media_type'>;
  /** quay_registry_image_pushed_bytes_total: blob bytes received. */
  imagePushedBytes: Counter;
  /** quay_multipart_uploads_started_total: upload sessions opened. */
  multipartUploadsStarted: Counter;
  /** quay_multipart_uploads_completed_total: upload sessions committed as a blob. */
  multipartUploadsCompleted: Counter;

  /** quay_queue_item_puts_total{queue_name}. */
  queueItemPuts: Counter<'queue_name'>;
  /** quay_queue_item_gets_total{queue_name, availability}: claims (acquired) and empty polls (nonexistant). */
  queueItemGets: Counter<'queue_name' | 'availability'>;
  /** quay_queue_item_deletes_total{queue_name}: items completed or dropped. */
  queueItemDeletes: Counter<'queue_name'>;
  /** quay_queue_items_available{queue_name}: items not yet completed. */
  queueItemsAvailable: Gauge<'queue_name'>;
  /** quay_queue_items_available_unlocked{queue_name}: items a worker could claim now. */
  queueItemsAvailableUnlocked: Gauge<'queue_name'>;
  /** quay_queue_items_locked{queue_name}: items under a live lease. */
  queueItemsLocked: Gauge<'queue_name'>;

  /** quay_gc_iterations_total: runs of the gc worker. */
  gcIterations: Counter;
  /** quay_gc_namespaces_purged_total. */
  gcNamespacesPurged: Counter;
  /** quay_gc_repos_purged_total: by the repositorygc or namespacegc worker. */
  gcReposPurged: Counter;
  /** quay_gc_storage_blobs_deleted_total: blobs removed from storage (counted once per blob). */
  gcStorageBlobsDeleted: Counter;
  /** quay_gc_table_rows_deleted_total{table}. */
  gcTableRowsDeleted: Counter<'table'>;

  /** quay_worker_operation_duration_seconds{worker, operation}. */
  workerOperationDuration: Histogram<'worker' | 'operation'>;

  /** quay_user_rows, quay_robot_rows, quay_org_rows, quay_repository_rows. */
  userRows: Gauge;
  robotRows: Gauge;
  orgRows: Gauge;
  repositoryRows: Gauge;
  /** quay_security_scanning_unscanned_images_remaining: manifests no scanner has indexed yet. */
  unscannedImagesRemaining: Gauge;

  /** quay_repository_mirror_last_sync_status{namespace, repository, last_error_reason}: Quay's RepoMirrorStatus number of the last sync. */
  mirrorLastSyncStatus: Gauge<'namespace' | 'repository' | 'last_error_reason'>;
  /** quay_repository_mirror_sync_duration_seconds{namespace}. */
  mirrorSyncDuration: Histogram<'namespace'>;
  /** quay_repository_mirror_sync_failures_total{namespace, reason}. */
  mirrorSyncFailures: Counter<'namespace' | 'reason'>;
  /** quay_repository_mirror_pending_tags{namespace, repository}: tags the running sync has yet to copy. */
  mirrorPendingTags: Gauge<'namespace' | 'repository'>;
  /** quay_repository_mirror_workers_active: syncs running in this process. */
  mirrorWorkersActive: Gauge;
  /** quay_repository_mirror_last_sync_timestamp{namespace, repository}: Unix time the last sync started. */
  mirrorLastSyncTimestamp: Gauge<'namespace' | 'repository'>;
  /** quay_repository_mirror_sync_complete{namespace, repository}: 1 when the last sync synced every tag, else 0. */
  mirrorSyncComplete: Gauge<'namespace' | 'repository'>;

  /** Runs `collect` before every scrape (gauges read from the database); errors skip that refresh. */
  onCollect(collect: () => Promise<void>): void;
  /** Text exposition of every metric, the collectors' gauges refreshed. */
  render(): Promise<string>;
}

export interface MetricsOptions {
  /** The process_name label: "serve", "worker", ... */
  processName?: string;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ host: hostname(), pid: String(process.pid), process_name: options.processName ?? 'quayside' });
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });
  const collectors: Array<() => Promise<void>> = [];
  // Every database gauge asks for a refresh when read; one scrape reads them all at once, and the
  // shared in-flight promise makes that one run of the collectors.
  let refreshing: Promise<void> | undefined;
  const refresh = (): Promise<void> => {
    refreshing ??= Promise.all(collectors.map((collect) => collect().catch(() => undefined))).then(() => {
      refreshing = undefined;
    });
    return refreshing;
  };
  /** A gauge whose value a collector reads from the database at scrape time. */
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers, collect: refresh });

  return {
    registry,
    authenticationAttempts: counter('quay_authentication_attempts_total', 'number of authentication attempts across the registry and API', [
      'auth_kind',
      'success',
    ]),
    requestDuration: new Histogram({
      name: 'quay_request_duration_seconds',
      help: 'seconds taken to process a request',
      labelNames: ['method', 'route', 'status', 'namespace_name'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    imagePulls: counter('quay_registry_image_pulls_total', 'number of images that have been downloaded via the registry', [
      'protocol',
      'ref',
      'status',
    ]),
    imagePulledBytes: counter('quay_registry_image_pulled_bytes_total', 'number of bytes that have been downloaded via the registry'),
    imagePushes: counter('quay_registry_image_pushes_total', 'number of images that have been uploaded via the registry', [
      'protocol',
      'status',
      'media_type',
    ]),
    imagePushedBytes: counter('quay_registry_image_pushed_bytes_total', 'number of bytes pushed to the registry'),
    multipartUploadsStarted: counter('quay_multipart_uploads_started_total', 'number of multipart uploads to the registry started'),
    multipartUploadsCompleted: counter('quay_multipart_uploads_completed_total', 'number of multipart uploads to the registry completed'),
    queueItemPuts: counter('quay_queue_item_puts_total', 'number of items that have been added to the queue', ['queue_name']),
    queueItemGets: counter('quay_queue_item_gets_total', 'number of times get() has been called on the queue', [
      'queue_name',
      'availability',
    ]),
    queueItemDeletes: counter('quay_queue_item_deletes_total', 'number of expired queue items that have been deleted', ['queue_name']),
    queueItemsAvailable: gauge('quay_queue_items_available', 'number of queue items that have not expired', ['queue_name']),
    queueItemsAvailableUnlocked: gauge(
      'quay_queue_items_available_unlocked',
      'number of queue items that have not expired and are not locked',
      ['queue_name'],
    ),
    queueItemsLocked: gauge('quay_queue_items_locked', 'number of queue items that have been acquired', ['queue_name']),
    gcIterations: counter('quay_gc_iterations_total', 'number of iterations by the GCWorker'),
    gcNamespacesPurged: counter('quay_gc_namespaces_purged_total', 'number of namespaces purged by the NamespaceGCWorker'),
    gcReposPurged: counter('quay_gc_repos_purged_total', 'number of repositories purged by the RepositoryGCWorker or NamespaceGCWorker'),
    gcStorageBlobsDeleted: counter('quay_gc_storage_blobs_deleted_total', 'number of storage blobs deleted'),
    gcTableRowsDeleted: counter('quay_gc_table_rows_deleted_total', 'number of rows deleted by GC', ['table']),
    workerOperationDuration: new Histogram({
      name: 'quay_worker_operation_duration_seconds',
      help: 'seconds taken by one operation of a worker',
      labelNames: ['worker', 'operation'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers,
    }),
    userRows: gauge('quay_user_rows', 'number of users in the database'),
    robotRows: gauge('quay_robot_rows', 'number of robot accounts in the database'),
    orgRows: gauge('quay_org_rows', 'number of organizations in the database'),
    repositoryRows: gauge('quay_repository_rows', 'number of repositories in the database'),
    unscannedImagesRemaining: gauge(
      'quay_security_scanning_unscanned_images_remaining',
      'number of images that are not yet scanned by the security scanner',
    ),
    mirrorLastSyncStatus: new Gauge({
      name: 'quay_repository_mirror_last_sync_status',
      help: 'status of the last sync of a mirrored repository (-2 cancel, -1 fail, 1 success)',
      labelNames: ['namespace', 'repository', 'last_error_reason'],
      registers,
    }),
    mirrorSyncDuration: new Histogram({
      name: 'quay_repository_mirror_sync_duration_seconds',
      help: 'seconds taken by one repository mirror sync',
      labelNames: ['namespace'],
      buckets: [1, 5, 10, 30, 60, 300, 900, 1800, 3600, 7200],
      registers,
    }),
    mirrorSyncFailures: counter('quay_repository_mirror_sync_failures_total', 'number of repository mirror syncs that failed', [
      'namespace',
      'reason',
    ]),
    mirrorPendingTags: new Gauge({
      name: 'quay_repository_mirror_pending_tags',
      help: 'tags the running sync of a mirrored repository has yet to copy',
      labelNames: ['namespace', 'repository'],
      registers,
    }),
    mirrorWorkersActive: new Gauge({
      name: 'quay_repository_mirror_workers_active',
      help: 'repository mirror syncs running in this process',
      registers,
    }),
    mirrorLastSyncTimestamp: new Gauge({
      name: 'quay_repository_mirror_last_sync_timestamp',
      help: 'Unix time the last sync of a mirrored repository started',
      labelNames: ['namespace', 'repository'],
      registers,
    }),
    mirrorSyncComplete: new Gauge({
      name: 'quay_repository_mirror_sync_complete',
      help: 'whether the last sync of a mirrored repository synced every tag (1) or not (0)',
      labelNames: ['namespace', 'repository'],
      registers,
    }),
    onCollect(collect) {
      collectors.push(collect);
    },
    render() {
      return registry.metrics();
    },
  };
}

/** Quay's auth_kind label values (auth/validateresult.py AuthKind). */
export type AuthKindLabel = 'basic' | 'credentials' | 'oauth' | 'cookie' | 'signed_grant' | 'ssojwt';

/** Counts one authentication attempt; success is rendered as Python renders a bool, as Quay's metric does. */
export function countAuthentication(metrics: Metrics, kind: AuthKindLabel, success: boolean): void {
  metrics.authenticationAttempts.inc({ auth_kind: kind, success: success ? 'True' : 'False' });
}

/** Runs one credential check and counts it in quay_authentication_attempts_total. */
export async function countedAuthentication<T>(
  holder: { metrics: Metrics },
  kind: AuthKindLabel,
  check: () => Promise<T>,
): Promise<T> {
  try {
    const result = await check();
    countAuthentication(holder.metrics, kind, true);
    return result;
  } catch (err) {
    countAuthentication(holder.metrics, kind, false);
    throw err;
  }
}
