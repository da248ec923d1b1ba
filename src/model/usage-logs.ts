import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/tables.js';
import { nowMs } from './clock.js';
import { nullableNumber } from './narrow.js';
import { parseStoredJsonObject } from './json-text.js';
import { DAY_MS } from './quay-date.js';

/**
 * Usage logs (Quay's LogEntry3): who did what, where, from which address. Writers call
 * UsageLogs.record (or recordSoon on hot paths); the entries go to a UsageLogStore, which is the
 * database today and is the seam for an Elasticsearch backend later.
 */

/** Quay's log kind names that Quayside writes. */
export const LOG_KINDS = [
  'account_change_password',
  'add_repo_notification',
  'change_repo_permission',
  'change_repo_state',
  'change_repo_visibility',
  'change_tag_expiration',
  'create_app_specific_token',
  'create_application',
  'create_prototype_permission',
  'create_repo',
  'create_robot',
  'create_tag',
  'delete_application',
  'delete_prototype_permission',
  'delete_repo',
  'delete_repo_notification',
  'delete_repo_permission',
  'delete_robot',
  'delete_tag',
  'disable_team_sync',
  'enable_team_sync',
  'export_logs_failure',
  'export_logs_success',
  'login_failure',
  'login_success',
  'logout_success',
  'oauth_token_assigned',
  'oauth_token_revoked',
  'manifest_label_add',
  'manifest_label_delete',
  'modify_prototype_permission',
  'move_tag',
  'org_add_team_member',
  'org_change_email',
  'org_change_name',
  'org_change_quota',
  'org_change_quota_limit',
  'org_change_tag_expiration',
  'org_create',
  'org_create_quota',
  'org_create_quota_limit',
  'org_create_team',
  'org_delete',
  'org_delete_quota',
  'org_delete_quota_limit',
  'org_delete_team',
  'org_delete_team_member_invite',
  'org_invite_team_member',
  'org_remove_team_member',
  'org_set_team_description',
  'org_set_team_role',
  'org_team_member_invite_accepted',
  'org_team_member_invite_declined',
  'permanently_delete_tag',
  'pull_repo',
  'push_repo',
  'regenerate_robot_token',
  'repo_mirror_config_changed',
  'repo_mirror_disabled',
  'repo_mirror_enabled',
  'repo_mirror_sync_failed',
  'repo_mirror_sync_now_requested',
  'repo_mirror_sync_started',
  'repo_mirror_sync_success',
  'repo_mirror_sync_tag_failed',
  'repo_mirror_sync_tag_success',
  'reset_application_client_secret',
  'reset_repo_notification',
  'revert_tag',
  'revoke_app_specific_token',
  'service_key_approve',
  'service_key_create',
  'service_key_delete',
  'service_key_extend',
  'service_key_modify',
  'service_key_rotate',
  'set_repo_description',
  'take_ownership',
  'update_application',
  'user_change_tag_expiration',
  'user_change_email',
  'user_change_password',
  'user_create',
  'user_delete',
  'user_disable',
  'user_enable',
] as const;

export type LogKind = (typeof LOG_KINDS)[number];

export interface UsageLogInput {
  kind: LogKind;
  /** The namespace (user or organization) the action happened in. */
  namespaceId: number | null;
  /** The user or robot that acted; null for anonymous callers and the system. */
  performerId: number | null;
  repositoryId?: number | null;
  ip?: string | null;
  metadata?: Record<string, unknown>;
  /** Defaults to now. */
  atMs?: number;
}

/** Which entries a read covers: the time range [startMs, endMs) and optional filters. */
export interface UsageLogFilter {
  startMs: number;
  endMs: number;
  /** The namespace the actions happened in; ignored when repositoryId is given (as in Quay). */
  namespaceId?: number;
  repositoryId?: number;
  performerId?: number;
  /** Kinds left out (Quay hides service-key kinds from a user's own logs). */
  excludeKinds?: readonly string[];
}

/** One stored entry, as a reader gets it back. */
export interface UsageLogRecord {
  id: number;
  kind: string;
  namespaceId: number | null;
  performerId: number | null;
  repositoryId: number | null;
  datetimeMs: number;
  ip: string | null;
  metadata: Record<string, unknown>;
}

/** Where a page ended: pages run newest first, ordered by (datetimeMs, id) descending. */
export interface UsageLogPosition {
  datetimeMs: number;
  id: number;
}

export interface UsageLogPage {
  entries: UsageLogRecord[];
  /** Present when more entries follow: pass it back as `after`. */
  next?: UsageLogPosition;
}

/** How many entries of one kind fall on one UTC day. */
export interface UsageLogCount {
  kind: string;
  /** Midnight UTC of the day. */
  dayMs: number;
  count: number;
}

/** Where entries are kept. The database store is the default; another backend implements the same. */
export interface UsageLogStore {
  write(entries: readonly UsageLogInput[]): Promise<void>;
  /** Up to `limit` entries after `after` (newest first). */
  listPage(filter: UsageLogFilter, after: UsageLogPosition | undefined, limit: number): Promise<UsageLogPage>;
  /** Entry counts per kind per UTC day. */
  countByKindAndDay(filter: UsageLogFilter): Promise<UsageLogCount[]>;
  /** Every matching entry, oldest first, in batches of at most `batchSize` (for exports). */
  iterate(filter: UsageLogFilter, batchSize: number): AsyncIterable<UsageLogRecord[]>;
}

interface LogEntryRow {
  id: number | string;
  kind: string;
  account_id: number | string | null;
  performer_id: number | string | null;
  repository_id: number | string | null;
  datetime_ms: number | string;
  ip: string | null;
  metadata: string;
}


function toRecord(row: LogEntryRow): UsageLogRecord {
  return {
    id: Number(row.id),
    kind: row.kind,
    namespaceId: nullableNumber(row.account_id),
    performerId: nullableNumber(row.performer_id),
    repositoryId: nullableNumber(row.repository_id),
    datetimeMs: Number(row.datetime_ms),
    ip: row.ip,
    metadata: parseStoredJsonObject(row.metadata),
  };
}

export class DatabaseUsageLogStore implements UsageLogStore {
  constructor(private readonly db: Kysely<Database>) {}

  async write(entries: readonly UsageLogInput[]): Promise<void> {
    if (entries.length === 0) return;
    const now = nowMs();
    await this.db
      .insertInto('log_entry')
      .values(
        entries.map((e) => ({
          kind: e.kind,
          account_id: e.namespaceId,
          performer_id: e.performerId,
          repository_id: e.repositoryId ?? null,
          datetime_ms: e.atMs ?? now,
          ip: e.ip ?? null,
          metadata: JSON.stringify(e.metadata ?? {}),
        })),
      )
      .execute();
  }

  /** The filter as a query; the (account|performer|repository, datetime_ms) indexes serve it. */
  private filtered(filter: UsageLogFilter) {
    let query = this.db
      .selectFrom('log_entry')
      .where('datetime_ms', '>=', filter.startMs)
      .where('datetime_ms', '<', filter.endMs);
    if (filter.repositoryId !== undefined) query = query.where('repository_id', '=', filter.repositoryId);
    else if (filter.namespaceId !== undefined) query = query.where('account_id', '=', filter.namespaceId);
    if (filter.performerId !== undefined) query = query.where('performer_id', '=', filter.performerId);
    if (filter.excludeKinds && filter.excludeKinds.length > 0) query = query.where('kind', 'not in', [...filter.excludeKinds]);
    return query;
  }

  async listPage(filter: UsageLogFilter, after: UsageLogPosition | undefined, limit: number): Promise<UsageLogPage> {
    let query = this.filtered(filter).selectAll();
    if (after) {
      // The plain bound lets the (…, datetime_ms) index start at the cursor; the OR breaks ties by id.
      query = query
        .where('datetime_ms', '<=', after.datetimeMs)
        .where((eb) => eb.or([eb('datetime_ms', '<', after.datetimeMs), eb('id', '<', after.id)]));
    }
    const rows = (await query
      .orderBy('datetime_ms', 'desc')
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute()) as LogEntryRow[];
    const entries = rows.slice(0, limit).map(toRecord);
    const last = entries.at(-1);
    if (rows.length <= limit || !last) return { entries };
    return { entries, next: { datetimeMs: last.datetimeMs, id: last.id } };
  }

  async countByKindAndDay(filter: UsageLogFilter): Promise<UsageLogCount[]> {
    // Integer division on both dialects (the column is an integer type on each).
    const day = sql<number | string>`(datetime_ms / ${sql.lit(DAY_MS)})`;
    const rows = await this.filtered(filter)
      .select(['kind', day.as('day'), (eb) => eb.fn.countAll<number | string>().as('count')])
      .groupBy(['kind', day])
      .orderBy(day)
      .orderBy('kind')
      .execute();
    return rows.map((row) => ({ kind: row.kind, dayMs: Math.floor(Number(row.day)) * DAY_MS, count: Number(row.count) }));
  }

  async *iterate(filter: UsageLogFilter, batchSize: number): AsyncIterable<UsageLogRecord[]> {
    let after: UsageLogPosition | undefined;
    for (;;) {
      let query = this.filtered(filter).selectAll();
      if (after) {
        const { datetimeMs, id } = after;
        query = query
          .where('datetime_ms', '>=', datetimeMs)
          .where((eb) => eb.or([eb('datetime_ms', '>', datetimeMs), eb('id', '>', id)]));
      }
      const rows = (await query.orderBy('datetime_ms', 'asc').orderBy('id', 'asc').limit(batchSize).execute()) as LogEntryRow[];
      if (rows.length === 0) return;
      const batch = rows.map(toRecord);
      yield batch;
      if (rows.length < batchSize) return;
      const last = batch.at(-1)!;
      after = { datetimeMs: last.datetimeMs, id: last.id };
    }
  }
}

const FLUSH_INTERVAL_MS = 200;
const FLUSH_BATCH = 500;

/**
 * Records usage logs. `record` writes before it returns (API actions: the caller's request ends
 * after its log entry exists); `recordSoon` batches entries written on hot paths (every pull) and
 * flushes them within FLUSH_INTERVAL_MS, so a manifest GET does not wait for an INSERT.
 */
export class UsageLogs {
  private pending: UsageLogInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    readonly store: UsageLogStore,
    private readonly onError: (err: unknown) => void,
  ) {}

  async record(entry: UsageLogInput): Promise<void> {
    await this.store.write([entry]);
  }

  recordSoon(entry: UsageLogInput): void {
    this.pending.push({ ...entry, atMs: entry.atMs ?? nowMs() });
    if (this.pending.length >= FLUSH_BATCH) {
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_INTERVAL_MS);
      this.timer.unref();
    }
  }

  /** A page of entries, newest first; this process's batched entries are written first. */
  async listPage(filter: UsageLogFilter, after: UsageLogPosition | undefined, limit: number): Promise<UsageLogPage> {
    await this.flush();
    return this.store.listPage(filter, after, limit);
  }

  /** Entry counts per kind per UTC day; this process's batched entries are written first. */
  async countByKindAndDay(filter: UsageLogFilter): Promise<UsageLogCount[]> {
    await this.flush();
    return this.store.countByKindAndDay(filter);
  }

  /** Every matching entry, oldest first, in batches (exports). */
  async *iterate(filter: UsageLogFilter, batchSize: number): AsyncIterable<UsageLogRecord[]> {
    await this.flush();
    yield* this.store.iterate(filter, batchSize);
  }

  /** Writes every batched entry; readers call it so that this process's own entries are visible. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.pending;
    this.pending = [];
    const previous = this.flushing;
    this.flushing = previous.then(async () => {
      try {
        await this.store.write(batch);
      } catch (err) {
        this.onError(err);
      }
    });
    await this.flushing;
  }
}
