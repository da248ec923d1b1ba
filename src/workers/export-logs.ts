import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { AppContext } from '../context.js';
import { createMailer, type Mailer } from '../mail/mailer.js';
import { EXPORT_QUEUE, type LogExportJob, parseLogExportJob, recordLogExport } from '../model/log-exports.js';
import { usageLogViews } from '../model/log-rendering.js';
import { formatQuayDate } from '../model/quay-date.js';
import type { LeasedItem } from '../model/queue.js';
import type { UsageLogFilter } from '../model/usage-logs.js';
import { allowedOutboundUrl } from '../net/outbound-url.js';
import type { BlobStore } from '../storage/blob-store.js';
import { QueueWorker } from './queue-worker.js';

/**
 * The exportactionlogs worker (Quay's workers/exportactionlogsworker.py). For each queued export
 * it writes the range's entries, oldest first, into one JSON document in Quay's export format,
 * stores it in the preferred storage location, and reports the download link: a POST of Quay's
 * callback JSON to callback_url and/or an e-mail to callback_email. A failed attempt reports
 * "failed" and throws, so the queue retries it (three attempts in all, as in Quay).
 */

/** How long a download link works (Quay's EXPORT_ACTION_LOGS_SECONDS default). */
export const EXPORTED_LOGS_EXPIRATION_S = 60 * 60;
/** Entries read per query (Quay's EXPECTED_ITERATION_LOG_COUNT). */
const READ_BATCH = 1000;
/** Bytes gathered before a storage chunk is written. */
const CHUNK_BYTES = 4 * 1024 * 1024;
const CALLBACK_TIMEOUT_MS = 30_000;

export type ExportStatus = 'success' | 'failed';

export type LogExportDeps = Pick<AppContext, 'db' | 'dialect' | 'log' | 'storage' | 'usageLogs' | 'config'>;

/** Writes an upload session chunk by chunk while hashing it, then publishes it under its digest. */
class HashedUpload {
  private readonly uploadId = randomUUID();
  private readonly hash = createHash('sha256');
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private chunkCount = 0;
  private totalBytes = 0;

  constructor(private readonly store: BlobStore) {}

  async append(text: string): Promise<void> {
    const bytes = Buffer.from(text, 'utf8');
    this.hash.update(bytes);
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= CHUNK_BYTES) await this.writePending();
  }

  /** Publishes the document; returns its digest and size. */
  async commit(): Promise<{ digest: string; size: number }> {
    await this.writePending();
    const digest = `sha256:${this.hash.digest('hex')}`;
    await this.store.commitUpload(this.state(), digest);
    return { digest, size: this.totalBytes };
  }

  async abort(): Promise<void> {
    await this.store.abortUpload(this.state());
  }

  private state() {
    return { uploadId: this.uploadId, chunkCount: this.chunkCount, totalBytes: this.totalBytes };
  }

  private async writePending(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const data = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    await this.store.writeUploadChunk(
      { uploadId: this.uploadId, index: this.chunkCount, offset: this.totalBytes },
      Readable.from([data]),
    );
    this.chunkCount++;
    this.totalBytes += data.length;
  }
}

function exportFilter(job: LogExportJob): UsageLogFilter {
  const range = { startMs: job.start_ms, endMs: job.end_ms };
  return job.repository_id !== null ? { ...range, repositoryId: job.repository_id } : { ...range, namespaceId: job.namespace_id };
}

export class LogExporter {
  private readonly mailer: Mailer;

  constructor(private readonly deps: LogExportDeps) {
    this.mailer = createMailer(deps.config);
  }

  /** Handles one queued export; throws (for a retry) when it could not be written or delivered. */
  async handle(item: LeasedItem): Promise<void> {
    const job = parseLogExportJob(item.body);
    if (!job) {
      this.deps.log.warn({ item: item.id }, 'dropping an unreadable log export request');
      return;
    }
    let url: string;
    try {
      url = await this.writeExport(job);
    } catch (err) {
      await this.report(job, 'failed', null).catch((reportErr: unknown) =>
        this.deps.log.warn({ err: reportErr, export: job.export_id }, 'could not report a failed log export'),
      );
      throw err;
    }
    await this.report(job, 'success', url);
    this.deps.log.info({ export: job.export_id }, 'usage logs exported');
  }

  /** Writes the export document (Quay's layout, terminator entry included); returns its download URL. */
  private async writeExport(job: LogExportJob): Promise<string> {
    const { db, storage, usageLogs } = this.deps;
    const store = storage.preferred;
    const upload = new HashedUpload(store);
    let stored: { digest: string; size: number };
    try {
      const details = {
        start_time: formatQuayDate(job.start_ms),
        end_time: formatQuayDate(job.end_ms - 1),
        namespace: job.namespace_name,
        repository: job.repository_name,
      };
      await upload.append(`{"export_id": ${JSON.stringify(job.export_id)}, "details": ${JSON.stringify(details)}, "logs": [\n`);
      for await (const batch of usageLogs.iterate(exportFilter(job), READ_BATCH)) {
        const views = await usageLogViews(db, batch, { includeNamespace: false });
        await upload.append(views.map((view) => `${JSON.stringify(view)},\n`).join(''));
      }
      await upload.append('{"terminator": true}]}\n');
      stored = await upload.commit();
    } catch (err) {
      await upload.abort().catch(() => undefined);
      throw err;
    }
    const fileId = await recordLogExport(db, {
      exportId: job.export_id,
      location: store.location,
      ...stored,
      expiresInMs: EXPORTED_LOGS_EXPIRATION_S * 1000,
    });
    const direct = await store.directDownloadUrl(stored.digest, EXPORTED_LOGS_EXPIRATION_S);
    return direct ?? `${job.app_url}/exportedlogs/${fileId}`;
  }

  private async report(job: LogExportJob, status: ExportStatus, url: string | null): Promise<void> {
    if (job.callback_url) {
      // Checked again here: the blacklist may have changed since the export was queued.
      const callbackUrl = allowedOutboundUrl(this.deps.config, job.callback_url);
      if (callbackUrl) await this.postCallback(job, callbackUrl, status, url);
      else this.deps.log.warn({ export: job.export_id }, 'log export callback not called: its host is in WEBHOOK_HOSTNAME_BLACKLIST');
    }
    if (job.callback_email) await this.sendEmail(job, job.callback_email, status, url);
  }

  /** Quay's callback JSON; anything but a 2xx answer fails the attempt. Redirects are not followed. */
  private async postCallback(job: LogExportJob, callbackUrl: URL, status: ExportStatus, url: string | null) {
    const response = await fetch(callbackUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        export_id: job.export_id,
        start_time: job.start_time,
        end_time: job.end_time,
        namespace: job.namespace_name,
        repository: job.repository_name,
        exported_data_url: url,
        status,
      }),
      redirect: 'manual',
      signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (response.status < 200 || response.status >= 300) {
      throw new Error(`log export callback answered ${response.status}; will retry`);
    }
  }

  private async sendEmail(job: LogExportJob, to: string, status: ExportStatus, url: string | null) {
    const title = this.deps.config.REGISTRY_TITLE;
    const what = job.repository_name ? `${job.namespace_name}/${job.repository_name}` : job.namespace_name;
    const range = `${job.start_time} to ${job.end_time}`;
    const text =
      status === 'success' && url
        ? `The usage logs of ${what} from ${range} have been exported (export ${job.export_id}).\n\n` +
          `Download them within ${EXPORTED_LOGS_EXPIRATION_S / 3600} hour(s) from:\n${url}\n`
        : `The export of the usage logs of ${what} from ${range} (export ${job.export_id}) failed. ` +
          'It will be retried; if it keeps failing, contact your registry administrator.\n';
    await this.mailer.send({ to, subject: `${title}: usage logs export ${status === 'success' ? 'ready' : 'failed'}`, text });
  }
}

/** The queue worker of log exports; start() it, or drain() it in tests and CLI runs. */
export function createLogExportWorker(deps: LogExportDeps): QueueWorker {
  const exporter = new LogExporter(deps);
  return new QueueWorker(
    { db: deps.db, dialect: deps.dialect, log: deps.log },
    { queue: EXPORT_QUEUE, handle: (item) => exporter.handle(item) },
  );
}

/** Starts the export worker when FEATURE_LOG_EXPORT is on. */
export function startLogExportWorker(deps: LogExportDeps): QueueWorker | undefined {
  if (!deps.config.FEATURE_LOG_EXPORT) return undefined;
  const worker = createLogExportWorker(deps);
  worker.start();
  return worker;
}
