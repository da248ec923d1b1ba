import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { nowMs } from './clock.js';
import { asSafeInteger, asString } from './narrow.js';
import { enqueue } from './queue.js';

/**
 * Usage-log exports (Quay's exportactionlogs queue): the API queues a request, the worker writes
 * the entries of the range to a JSON document in storage, records it here, and sends its link to
 * the requested callback URL or e-mail address.
 */

export const EXPORT_QUEUE = 'exportactionlogs';
/** Quay gives an export three attempts. */
const EXPORT_ATTEMPTS = 3;

/** The queued job, in Quay's field names plus the exact range and the base URL of the links. */
export interface LogExportJob {
  export_id: string;
  namespace_id: number;
  namespace_name: string;
  repository_id: number | null;
  repository_name: string | null;
  /** Quay's `%m/%d/%Y` of the range's first and last day, as its callbacks report them. */
  start_time: string;
  end_time: string;
  /** The range itself: [start_ms, end_ms). */
  start_ms: number;
  end_ms: number;
  callback_url: string | null;
  callback_email: string | null;
  /** `<scheme>://<host>` of the registry, for download links served by the registry itself. */
  app_url: string;
}

export type NewLogExportJob = Omit<LogExportJob, 'export_id'>;

/** Queues an export; returns its export_id. */
export async function queueLogExport(db: Kysely<Database>, job: NewLogExportJob): Promise<string> {
  const exportId = randomUUID();
  const body: LogExportJob = { export_id: exportId, ...job };
  await enqueue(db, EXPORT_QUEUE, { ...body }, { retries: EXPORT_ATTEMPTS });
  return exportId;
}

/** Reads a queued job back; undefined when the body is not one (it is then dropped). */
export function parseLogExportJob(body: Record<string, unknown>): LogExportJob | undefined {
  const text = (key: string) => asString(body[key]);
  const num = (key: string) => asSafeInteger(body[key]);
  const exportId = text('export_id');
  const namespaceId = num('namespace_id');
  const namespaceName = text('namespace_name');
  const startMs = num('start_ms');
  const endMs = num('end_ms');
  const appUrl = text('app_url');
  if (!exportId || namespaceId === undefined || !namespaceName || startMs === undefined || endMs === undefined || !appUrl) {
    return undefined;
  }
  return {
    export_id: exportId,
    namespace_id: namespaceId,
    namespace_name: namespaceName,
    repository_id: num('repository_id') ?? null,
    repository_name: text('repository_name') ?? null,
    start_time: text('start_time') ?? '',
    end_time: text('end_time') ?? '',
    start_ms: startMs,
    end_ms: endMs,
    callback_url: text('callback_url') ?? null,
    callback_email: text('callback_email') ?? null,
    app_url: appUrl,
  };
}

export interface StoredLogExport {
  exportId: string;
  location: string;
  digest: string;
  size: number;
  expiresInMs: number;
}

/** Records a written export document; returns the file id of its download URL. */
export async function recordLogExport(db: Kysely<Database>, stored: StoredLogExport): Promise<string> {
  // The random part keeps the URL from being derived from the export id alone.
  const fileId = `${stored.exportId}-${randomUUID()}`;
  const now = nowMs();
  await db
    .insertInto('log_export')
    .values({
      export_id: stored.exportId,
      file_id: fileId,
      location: stored.location,
      digest: stored.digest,
      size: stored.size,
      created_at: now,
      expires_at: now + stored.expiresInMs,
    })
    .execute();
  return fileId;
}

export interface LogExportFile {
  location: string;
  digest: string;
  size: number;
}

/**
 * The document an earlier attempt of export `exportId` already wrote (its file id and where it
 * lies), so a retry after a failed callback reports it again instead of writing another.
 */
export async function findWrittenLogExport(
  db: Kysely<Database>,
  exportId: string,
): Promise<(LogExportFile & { fileId: string }) | undefined> {
  const row = await db
    .selectFrom('log_export')
    .select(['file_id', 'location', 'digest', 'size'])
    .where('export_id', '=', exportId)
    .where('expires_at', '>', nowMs())
    .orderBy('id')
    .executeTakeFirst();
  return row ? { fileId: row.file_id, location: row.location, digest: row.digest, size: Number(row.size) } : undefined;
}

/** The export behind a download URL, while its link has not expired. */
export async function findLogExportFile(db: Kysely<Database>, fileId: string): Promise<LogExportFile | undefined> {
  const row = await db
    .selectFrom('log_export')
    .select(['location', 'digest', 'size'])
    .where('file_id', '=', fileId)
    .where('expires_at', '>', nowMs())
    .executeTakeFirst();
  return row ? { location: row.location, digest: row.digest, size: Number(row.size) } : undefined;
}
