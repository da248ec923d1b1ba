import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { liveAccountsById } from './account-lookup.js';
import { accountAvatar } from './avatars.js';
import type { AccountSummary } from './namespaces.js';
import { formatQuayDate } from './quay-date.js';
import type { UsageLogCount, UsageLogRecord } from './usage-logs.js';

/**
 * Quay's JSON for usage-log entries (data/logs_model/datatypes.py): what the logs API lists and
 * what the export worker writes to an export file. An entry whose performer or namespace no
 * longer exists (deleted account) or never had one (anonymous caller, system) leaves that block
 * out, as Quay does.
 */

function performerView(account: AccountSummary) {
  return { kind: 'user', name: account.name, is_robot: account.kind === 'robot', avatar: accountAvatar(account) };
}

function namespaceView(account: AccountSummary) {
  return { kind: account.kind === 'organization' ? 'org' : 'user', name: account.name, avatar: accountAvatar(account) };
}

export interface LogViewOptions {
  /** Name the namespace of each entry (Quay does so only where the listing spans namespaces). */
  includeNamespace: boolean;
}

/** The views of a batch of entries, naming their accounts with one lookup. */
export async function usageLogViews(
  db: Kysely<Database>,
  records: readonly UsageLogRecord[],
  options: LogViewOptions,
): Promise<Record<string, unknown>[]> {
  const ids: number[] = [];
  for (const record of records) {
    if (record.performerId !== null) ids.push(record.performerId);
    if (options.includeNamespace && record.namespaceId !== null) ids.push(record.namespaceId);
  }
  const accounts = await liveAccountsById(db, ids);
  return records.map((record) => {
    const view: Record<string, unknown> = {
      kind: record.kind,
      metadata: record.metadata,
      ip: record.ip,
      datetime: formatQuayDate(record.datetimeMs),
    };
    const performer = record.performerId === null ? undefined : accounts.get(record.performerId);
    if (performer) view['performer'] = performerView(performer);
    if (options.includeNamespace) {
      const namespace = record.namespaceId === null ? undefined : accounts.get(record.namespaceId);
      if (namespace) view['namespace'] = namespaceView(namespace);
    }
    return view;
  });
}

/** Quay's aggregated count: one kind on one day. */
export function aggregatedLogView(count: UsageLogCount) {
  return { kind: count.kind, count: count.count, datetime: formatQuayDate(count.dayMs) };
}
