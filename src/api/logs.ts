import { type Static, Type as T } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  authorizeOrganization,
  authorizeOrganizationAudit,
  authorizeOwnAccount,
  authorizeRepositoryAdminView,
  authorizeRepositoryRole,
} from '../auth/authorize.js';
import type { AppContext } from '../context.js';
import { Denied, Invalid, NotFound } from '../errors.js';
import { mailingConfigured } from '../mail/mailer.js';
import { nowMs } from '../model/clock.js';
import { findLogExportFile, queueLogExport } from '../model/log-exports.js';
import { aggregatedLogView, usageLogViews } from '../model/log-rendering.js';
import { findNamespace, type Namespace } from '../model/namespaces.js';
import { DAY_MS, formatQuayDate, formatQuayDay } from '../model/quay-date.js';
import type { UsageLogFilter, UsageLogPosition } from '../model/usage-logs.js';
import { validateEmail } from '../model/users.js';
import { allowedOutboundUrl } from '../net/outbound-url.js';
import { apiBaseUrl, sendApiError } from './errors.js';
import { encodePageToken, invalidPageToken, pageTokenFields } from './page-token.js';
import type { ApiCall, ApiRouter } from './router.js';
import { repositoryParam } from './repositories.js';
import { superuserReading, superuserWriting } from './superuser-access.js';
import { logApiAction } from './usage-log.js';

/**
 * Quay's usage-log resources (endpoints/api/logs.py and the superuser ones): list a repository's,
 * an organization's, the caller's own or (superusers) every entry, page by page; count them per
 * kind and day; and queue an export of a range, delivered by the exportactionlogs worker.
 */

/** Quay's page size for logs. */
const LOGS_PER_PAGE = 20;
/** Quay refuses aggregate counts over four weeks or more. */
const MAX_AGGREGATE_RANGE_MS = 28 * DAY_MS;
const MAX_PAGE_TOKEN_LENGTH = 256;
/** Service-key kinds, which Quay keeps out of a user's own logs. */
const SERVICE_LEVEL_LOG_KINDS = [
  'service_key_create',
  'service_key_approve',
  'service_key_delete',
  'service_key_modify',
  'service_key_extend',
  'service_key_rotate',
];

const DATE_PARAM = 'Format: "%m/%d/%Y" in UTC.';
const RangeQuery = {
  starttime: T.Optional(T.String({ maxLength: 32, description: `Earliest day of logs. ${DATE_PARAM}` })),
  endtime: T.Optional(T.String({ maxLength: 32, description: `Latest day of logs. ${DATE_PARAM}` })),
};
const ListQuery = T.Object({
  ...RangeQuery,
  performer: T.Optional(T.String({ maxLength: 255, description: 'Only entries by this user or robot.' })),
  next_page: T.Optional(T.String({ maxLength: MAX_PAGE_TOKEN_LENGTH })),
});
const AggregateQuery = T.Object({
  ...RangeQuery,
  performer: T.Optional(T.String({ maxLength: 255, description: 'Only entries by this user or robot.' })),
});
const ExportQuery = T.Object(RangeQuery);
const ExportBody = T.Object({
  callback_url: T.Optional(T.String({ maxLength: 2048, description: 'URL to POST the link to the exported logs to.' })),
  callback_email: T.Optional(T.String({ maxLength: 255, description: 'E-mail address to send the link to.' })),
});

type ListQueryValue = Static<typeof ListQuery>;
type AggregateQueryValue = Static<typeof AggregateQuery>;
type RangeQueryValue = Static<typeof ExportQuery>;
type ExportBodyValue = Static<typeof ExportBody>;

// ---- dates ------------------------------------------------------------------------------------

/** Midnight UTC of a `%m/%d/%Y` day (one- or two-digit month and day, as Python's strptime takes). */
function parseQuayDay(text: string, param: string): number {
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text.trim());
  const invalid = new Invalid('input', `${param} must be a date written as MM/DD/YYYY`);
  if (!match) throw invalid;
  const [month, day, year] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) throw invalid;
  return ms;
}

interface LogsRange {
  startMs: number;
  endMs: number;
}

/**
 * Quay's range: from the start day (default: a day ago) to the end of the end day (default:
 * now, plus a day). An end before the start is bad input.
 */
function logsRange(query: RangeQueryValue): LogsRange {
  const now = nowMs();
  const startMs = query.starttime ? parseQuayDay(query.starttime, 'starttime') : now - DAY_MS;
  const endMs = (query.endtime ? parseQuayDay(query.endtime, 'endtime') : now) + DAY_MS;
  if (endMs < startMs) throw new Invalid('input', 'Invalid time span selected: endtime is before starttime');
  return { startMs, endMs };
}

// ---- next_page tokens -------------------------------------------------------------------------

function encodeLogPageToken(position: UsageLogPosition): string {
  return encodePageToken({ d: position.datetimeMs, i: position.id });
}

function decodeLogPageToken(token: string): UsageLogPosition {
  const { d, i } = pageTokenFields(token);
  if (!Number.isSafeInteger(d) || !Number.isSafeInteger(i)) throw invalidPageToken();
  return { datetimeMs: d as number, id: i as number };
}

// ---- scopes -----------------------------------------------------------------------------------

/** Which entries a logs endpoint covers, once the caller has been authorized. */
interface LogScope {
  filter: Omit<UsageLogFilter, 'startMs' | 'endMs' | 'performerId'>;
  /** Superuser listings span namespaces, so each entry names its namespace. */
  includeNamespace: boolean;
}

async function repositoryScope(call: ApiCall<unknown, unknown>): Promise<LogScope> {
  const repo = await authorizeRepositoryAdminView(call.ctx, call.actor, repositoryParam(call));
  return { filter: { repositoryId: repo.id }, includeNamespace: false };
}

async function organizationScope(call: ApiCall<unknown, unknown>): Promise<LogScope> {
  const organization = await authorizeOrganizationAudit(call.ctx, call.actor, call.params['orgname'] ?? '');
  return { filter: { namespaceId: organization.id }, includeNamespace: false };
}

async function ownScope(call: ApiCall<unknown, unknown>): Promise<LogScope> {
  const user = authorizeOwnAccount(call.actor, 'user:admin');
  return { filter: { namespaceId: user.id, excludeKinds: SERVICE_LEVEL_LOG_KINDS }, includeNamespace: false };
}

/** Quay's SuperUserLogs: superusers and global read-only superusers, after a fresh login. */
async function superuserScope(call: ApiCall<unknown, unknown>): Promise<LogScope> {
  await superuserReading(call, { freshLogin: true });
  return { filter: {}, includeNamespace: true };
}

/** Quay's SuperUserAggregateLogs, unlike SuperUserLogs, admits full superusers only. */
async function superuserAggregateScope(call: ApiCall<unknown, unknown>): Promise<LogScope> {
  await superuserWriting(call);
  return { filter: {}, includeNamespace: true };
}

type ScopeResolver = (call: ApiCall<unknown, unknown>) => Promise<LogScope>;

/** The performer filter's account id; null when no user or robot has that name (nothing matches). */
async function performerFilter(ctx: AppContext, name: string | undefined): Promise<number | undefined | null> {
  if (name === undefined || name === '') return undefined;
  const account = await findNamespace(ctx.db, name);
  if (!account || account.kind === 'organization' || account.deleted_at !== null) return null;
  return account.id;
}

// ---- handlers ---------------------------------------------------------------------------------

async function listLogs(call: ApiCall<unknown, ListQueryValue>, resolveScope: ScopeResolver) {
  const scope = await resolveScope(call);
  const range = logsRange(call.query);
  const after = call.query.next_page === undefined ? undefined : decodeLogPageToken(call.query.next_page);
  const body: Record<string, unknown> = { start_time: formatQuayDate(range.startMs), end_time: formatQuayDate(range.endMs) };
  const performerId = await performerFilter(call.ctx, call.query.performer);
  if (performerId === null) return { ...body, logs: [] };
  const filter: UsageLogFilter = { ...scope.filter, ...range, ...(performerId === undefined ? {} : { performerId }) };
  const page = await call.ctx.usageLogs.listPage(filter, after, LOGS_PER_PAGE);
  body['logs'] = await usageLogViews(call.ctx.db, page.entries, { includeNamespace: scope.includeNamespace });
  if (page.next) body['next_page'] = encodeLogPageToken(page.next);
  return body;
}

async function aggregateLogs(call: ApiCall<unknown, AggregateQueryValue>, resolveScope: ScopeResolver) {
  if (!call.ctx.config.FEATURE_AGGREGATED_LOG_COUNT_RETRIEVAL) {
    throw new NotFound('namespace', 'aggregated log counts are disabled (FEATURE_AGGREGATED_LOG_COUNT_RETRIEVAL)');
  }
  const scope = await resolveScope(call);
  const range = logsRange(call.query);
  if (range.endMs - range.startMs >= MAX_AGGREGATE_RANGE_MS) {
    throw new Invalid('input', 'Invalid date range for logs: aggregated counts cover less than four weeks');
  }
  const performerId = await performerFilter(call.ctx, call.query.performer);
  if (performerId === null) return { aggregated: [] };
  const filter: UsageLogFilter = { ...scope.filter, ...range, ...(performerId === undefined ? {} : { performerId }) };
  const counts = await call.ctx.usageLogs.countByKindAndDay(filter);
  return { aggregated: counts.map(aggregatedLogView) };
}

/** What an export covers, once the caller has been authorized. */
interface ExportTarget {
  namespace: Pick<Namespace, 'id' | 'name'>;
  repository?: { id: number; name: string };
}

function exportLogMetadata(target: ExportTarget, body: ExportBodyValue): Record<string, unknown> {
  const metadata: Record<string, unknown> = { url: body.callback_url || null, email: body.callback_email || null };
  if (target.repository) metadata['repo'] = target.repository.name;
  return metadata;
}

function validateExportRequest(ctx: AppContext, body: ExportBodyValue): void {
  const url = body.callback_url;
  if (url && !allowedOutboundUrl(ctx.config, url)) throw new Invalid('input', 'Invalid callback URL');
  const email = body.callback_email;
  if (email) validateEmail(email);
  if (email && !mailingConfigured(ctx.config)) {
    throw new Invalid('input', 'e-mail is not configured on this registry (FEATURE_MAILING and MAIL_SERVER)');
  }
}

/** Queues the export and logs the outcome (export_logs_success or _failure), as Quay does. */
async function queueExport(call: ApiCall<ExportBodyValue, RangeQueryValue>, target: ExportTarget) {
  const { ctx, body } = call;
  const logEntry = { namespaceId: target.namespace.id, repositoryId: target.repository?.id ?? null };
  let range: LogsRange;
  try {
    validateExportRequest(ctx, body);
    range = logsRange(call.query);
  } catch (err) {
    if (err instanceof Invalid) {
      await logApiAction(call, {
        kind: 'export_logs_failure',
        ...logEntry,
        metadata: { ...exportLogMetadata(target, body), error: err.message },
      });
    }
    throw err;
  }
  const exportId = await queueLogExport(ctx.db, {
    namespace_id: target.namespace.id,
    namespace_name: target.namespace.name,
    repository_id: target.repository?.id ?? null,
    repository_name: target.repository?.name ?? null,
    start_time: formatQuayDay(range.startMs),
    end_time: formatQuayDay(range.endMs - 1),
    start_ms: range.startMs,
    end_ms: range.endMs,
    callback_url: body.callback_url || null,
    callback_email: body.callback_email || null,
    app_url: apiBaseUrl(ctx.config, call.request.headers.host),
  });
  await logApiAction(call, {
    kind: 'export_logs_success',
    ...logEntry,
    metadata: { export_id: exportId, ...exportLogMetadata(target, body) },
  });
  return { export_id: exportId };
}

function requireLogExport(ctx: AppContext): void {
  if (!ctx.config.FEATURE_LOG_EXPORT) throw new NotFound('namespace', 'log export is disabled (FEATURE_LOG_EXPORT)');
}

async function exportRepositoryLogs(call: ApiCall<ExportBodyValue, RangeQueryValue>) {
  requireLogExport(call.ctx);
  const repo = await authorizeRepositoryRole(call.ctx, call.actor, repositoryParam(call), 'admin');
  return queueExport(call, {
    namespace: { id: repo.namespace_id, name: repo.namespace_name },
    repository: { id: repo.id, name: repo.name },
  });
}

async function exportOrganizationLogs(call: ApiCall<ExportBodyValue, RangeQueryValue>) {
  requireLogExport(call.ctx);
  const name = call.params['orgname'] ?? '';
  try {
    const organization = await authorizeOrganization(call.ctx, call.actor, name, 'admin');
    return await queueExport(call, { namespace: organization });
  } catch (err) {
    // Quay records signed-in callers' refused export attempts in the organization's own logs.
    if (err instanceof Denied) {
      const organization = await findNamespace(call.ctx.db, name);
      if (organization) {
        await logApiAction(call, {
          kind: 'export_logs_failure',
          namespaceId: organization.id,
          metadata: { ...exportLogMetadata({ namespace: organization }, call.body), error: 'unauthorized' },
        });
      }
    }
    throw err;
  }
}

async function exportOwnLogs(call: ApiCall<ExportBodyValue, RangeQueryValue>) {
  requireLogExport(call.ctx);
  const user = authorizeOwnAccount(call.actor, 'user:admin');
  return queueExport(call, { namespace: { id: user.id, name: user.name } });
}

// ---- routes -----------------------------------------------------------------------------------

interface LogResource {
  prefix: string;
  what: string;
  resolveScope: ScopeResolver;
  /** The aggregate endpoint's gate, when it differs from the listing's. */
  resolveAggregateScope?: ScopeResolver;
  tag: string;
  /** Whether the aggregate endpoint is internal (Quay's internal_only); every listing is public. */
  aggregateInternal?: boolean;
}

const RESOURCES: LogResource[] = [
  { prefix: '/api/v1/repository/{repository}', what: "a repository's", resolveScope: repositoryScope, tag: 'logs' },
  { prefix: '/api/v1/organization/{orgname}', what: "an organization's", resolveScope: organizationScope, tag: 'logs' },
  { prefix: '/api/v1/user', what: "the caller's own", resolveScope: ownScope, tag: 'logs' },
  {
    prefix: '/api/v1/superuser',
    what: 'every',
    resolveScope: superuserScope,
    resolveAggregateScope: superuserAggregateScope,
    tag: 'superuser',
    aggregateInternal: true,
  },
];

export function registerLogsRoutes(router: ApiRouter): void {
  for (const resource of RESOURCES) {
    router.add({
      method: 'GET',
      path: `${resource.prefix}/logs`,
      summary: `List ${resource.what} usage logs, newest first, a page at a time.`,
      tag: resource.tag,
      query: ListQuery,
      handler: (call) => listLogs(call, resource.resolveScope),
    });
    router.add({
      method: 'GET',
      path: `${resource.prefix}/aggregatelogs`,
      summary: `Count ${resource.what} usage logs per kind and day.`,
      tag: resource.tag,
      query: AggregateQuery,
      internal: resource.aggregateInternal,
      handler: (call) => aggregateLogs(call, resource.resolveAggregateScope ?? resource.resolveScope),
    });
  }

  const exports: Array<[string, string, (call: ApiCall<ExportBodyValue, RangeQueryValue>) => Promise<unknown>]> = [
    ['/api/v1/repository/{repository}/exportlogs', "a repository's", exportRepositoryLogs],
    ['/api/v1/organization/{orgname}/exportlogs', "an organization's", exportOrganizationLogs],
    ['/api/v1/user/exportlogs', "the caller's own", exportOwnLogs],
  ];
  for (const [path, what, handler] of exports) {
    router.add({
      method: 'POST',
      path,
      summary: `Queue an export of ${what} usage logs; a link is sent to callback_url or callback_email.`,
      tag: 'logs',
      query: ExportQuery,
      body: ExportBody,
      handler,
    });
  }
}

/**
 * GET /exportedlogs/{file_id}: an export's JSON document. As in Quay, the unguessable file id is
 * the credential; the link stops working when the export expires.
 */
export function registerExportedLogsDownload(app: FastifyInstance, ctx: AppContext): void {
  app.get('/exportedlogs/:fileId', async (request, reply) => {
    try {
      const { fileId } = request.params as { fileId: string };
      const file = /^[A-Za-z0-9-]{1,100}$/.test(fileId) ? await findLogExportFile(ctx.db, fileId) : undefined;
      const store = file ? ctx.storage.location(file.location) : undefined;
      if (!file || !store) throw new NotFound('namespace', 'exported logs not found or expired');
      const body = await store.read(file.digest);
      return reply
        .type('application/json')
        .header('content-length', String(file.size))
        .header('content-disposition', `attachment; filename="${fileId}.json"`)
        .send(body);
    } catch (err) {
      return sendApiError(reply, ctx.config, err);
    }
  });
}
