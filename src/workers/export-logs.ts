import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { AppContext } from '../context.js';
import { createMailer, type Mailer } from '../mail/mailer.js';
import {
  EXPORT_QUEUE,
  findWrittenLogExport,
  type LogExportJob,
  parseLogExportJob,
  recordLogExport,
} from '../model/log-exports.js';
import { usageLogViews } from '../model/log-rendering.js';
import { formatQuayDate } from '../model/quay-date.js';
import type { LeasedItem } from '../model/queue.js';
import type { UsageLogFilter } from '../model/usage-logs.js';
import { allowedOutboundUrl } from '../net/outbound-url.js';
import { postJson } from '../notifications/http-post.js';
import type { BlobStore } from '../storage/blob-store.js';
import { QueueWorker } from './queue-worker.js';

/**
 * The exportactionlogs worker (Quay's workers/exportactionlogsworker.py). For each queued export
 * it writes the range's entries, oldest first, into one JSON document in Quay's export format,
 * stores it in the preferred storage location, and reports the download link: a POST of Quay's
 * callback JSON to callback_url and/or an e-mail to callback_email. A failed attempt throws, so
 * the queue retries it (three attempts in all, as in Quay); a retry reuses the document an earlier
 * attempt wrote (when only the report failed), and "failed" is reported only when the last attempt
 * fails.
 */

/** How long a download link works (Quay's EXPORT_ACTION_LOGS_SECONDS default). */
export const EXPORTED_LOGS_EXPIRATION_S = 60 * 60;
/** Entries read per query (Quay's EXPECTED_ITERATION_LOG_COUNT). */
const READ_BATCH = 1000;
/** Bytes gathered before a storage chunk is written. */
const CHUNK_BYTES = 4 * 1024 * 1024;
const CALLBACK_TIMEOUT_S = 30;

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
    try {
      const url = (await this.writtenExportUrl(job)) ?? (await this.writeExport(job));
      await this.reportSuccess(job, url);
    } catch (err) {
      if (item.retriesRemaining === 0) await this.reportFailure(job);
      throw err;
    }
    this.deps.log.info({ export: job.export_id }, 'usage logs exported');
  }

  /** The download URL of the document an earlier attempt wrote, if it did. */
  private async writtenExportUrl(job: LogExportJob): Promise<string | undefined> {
    const written = await findWrittenLogExport(this.deps.db, job.export_id);
    const store = written && this.deps.storage.location(written.location);
    if (!written || !store) return undefined;
    return this.downloadUrl(job, store, written.digest, written.fileId);
  }

  private async downloadUrl(job: LogExportJob, store: BlobStore, digest: string, fileId: string): Promise<string> {
    const direct = await store.directDownloadUrl(digest, EXPORTED_LOGS_EXPIRATION_S);
    return direct ?? `${job.app_url}/exportedlogs/${fileId}`;
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
    return this.downloadUrl(job, store, stored.digest, fileId);
  }

  /** Reports the download link: the callback, then the e-mail; the first failure fails the attempt. */
  private async reportSuccess(job: LogExportJob, url: string): Promise<void> {
    await this.callBack(job, 'success', url);
    if (job.callback_email) await this.sendEmail(job, job.callback_email, 'success', url);
  }

  /** Reports the final failure on every channel requested, each independently of the other. */
  private async reportFailure(job: LogExportJob): Promise<void> {
    const reports = [this.callBack(job, 'failed', null)];
    if (job.callback_email) reports.push(this.sendEmail(job, job.callback_email, 'failed', null));
    for (const result of await Promise.allSettled(reports)) {
      if (result.status === 'rejected') {
        this.deps.log.warn({ err: result.reason, export: job.export_id }, 'could not report a failed log export');
      }
    }
  }

  private async callBack(job: LogExportJob, status: ExportStatus, url: string | null): Promise<void> {
    if (!job.callback_url) return;
    // Checked again here: the blacklist may have changed since the export was queued.
    const callbackUrl = allowedOutboundUrl(this.deps.config, job.callback_url);
    if (callbackUrl) await this.postCallback(job, callbackUrl, status, url);
    else this.deps.log.warn({ export: job.export_id }, 'log export callback not called: its host is no longer allowed');
  }

  /** Quay's callback JSON, through the SSRF-guarded POST; anything but a 2xx answer fails the attempt. */
  private async postCallback(job: LogExportJob, callbackUrl: URL, status: ExportStatus, url: string | null) {
    const payload = {
      export_id: job.export_id,
      start_time: job.start_time,
      end_time: job.end_time,
      namespace: job.namespace_name,
      repository: job.repository_name,
      exported_data_url: url,
      status,
    };
    await postJson(this.deps.config, callbackUrl, payload, CALLBACK_TIMEOUT_S, 'log export callback');
  }

  private async sendEmail(job: LogExportJob, to: string, status: ExportStatus, url: string | null) {
    const title = this.deps.config.REGISTRY_TITLE;
    const what = job.repository_name ? `${job.namespace_name}/${job.repository_name}` : job.namespace_name;
    const range = `${job.start_time} to ${job.end_time}`;
    const text =
      status === 'success' && url
        ? `The usage logs of ${what} from ${range} have been exported (export ${job.export_id}).\n\n` +
          `Download them within ${EXPORTED_LOGS_EXPIRATION_S / 3600} hour(s) from:\n${url}\n`
        : `The export of the usage logs of ${what} from ${range} (export ${job.export_id}) failed after ` +
          'every attempt. Request it again later; if it keeps failing, contact your registry administrator.\n';
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
