import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { nowMs } from './clock.js';

/**
 * Usage logs (Quay's LogEntry3): who did what, where, from which address. Writers call
 * UsageLogs.record (or recordSoon on hot paths); the entries go to a UsageLogStore, which is the
 * database today and is the seam for an Elasticsearch backend later.
 */

/** Quay's log kind names that Quayside writes. */
export const LOG_KINDS = [
  'account_change_cc',
  'account_change_email',
  'account_change_password',
  'account_convert',
  'add_repo_notification',
  'add_repo_permission',
  'add_label',
  'change_repo_permission',
  'change_repo_state',
  'change_repo_visibility',
  'change_tag_expiration',
  'change_user_password',
  'create_app_specific_token',
  'create_application',
  'create_prototype_permission',
  'create_repo',
  'create_robot',
  'create_tag',
  'create_team',
  'delete_application',
  'delete_label',
  'delete_prototype_permission',
  'delete_repo',
  'delete_repo_notification',
  'delete_repo_permission',
  'delete_robot',
  'delete_tag',
  'delete_team',
  'delete_team_invite',
  'export_logs_failure',
  'export_logs_success',
  'manifest_label_add',
  'manifest_label_delete',
  'modify_prototype_permission',
  'move_tag',
  'org_add_team_member',
  'org_change_email',
  'org_change_invoicing',
  'org_change_name',
  'org_change_tag_expiration',
  'org_create',
  'org_delete',
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
  'repo_mirror_sync_failed',
  'repo_mirror_sync_started',
  'repo_mirror_sync_success',
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
  'set_tag_immutable',
  'superuser_create_user',
  'superuser_delete_user',
  'superuser_disable_user',
  'superuser_enable_user',
  'superuser_change_password',
  'superuser_delete_organization',
  'superuser_rename_organization',
  'toggle_repo_trigger',
  'user_change_tag_expiration',
  'user_create',
  'user_delete',
  'user_disable',
  'user_enable',
  'user_generate_client_key',
  'user_login',
  'user_logout',
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

/** Where entries are kept. The database store is the default; another backend implements the same. */
export interface UsageLogStore {
  write(entries: readonly UsageLogInput[]): Promise<void>;
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
