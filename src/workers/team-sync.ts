import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { LdapDirectory } from '../auth/ldap/index.js';
import type { DirectoryUser } from '../auth/ldap/index.js';
import type { QuaysideConfig } from '../config/load.js';
import type { AppContext } from '../context.js';
import type { Database } from '../db/tables.js';
import { LDAP_SERVICE } from '../model/federated-logins.js';
import type { Namespace } from '../model/namespaces.js';
import { applyTeamSync, parseTeamSyncConfig, staleTeamSyncs, type TeamSync } from '../model/team-sync.js';
import { parseDurationSeconds } from '../model/users.js';
import { nowMs } from '../model/clock.js';

/** Quay's team sync worker wakes once a minute. */
export const TEAM_SYNC_INTERVAL_MS = 60_000;
/** Teams handled per run, as a bound on one run's work. */
const MAX_TEAMS_PER_RUN = 500;

/** What the worker needs from the directory. */
export interface GroupDirectory {
  listGroupMembers(groupDn: string): Promise<DirectoryUser[]>;
  accountFor(user: DirectoryUser, mayCreate: boolean): Promise<Namespace | undefined>;
}

export interface TeamSyncDeps {
  db: Kysely<Database>;
  config: QuaysideConfig;
  directory: GroupDirectory;
  log: Logger;
}

/**
 * Keeps LDAP-synced teams in step with their groups (FEATURE_TEAM_SYNCING). Each run takes the
 * teams not synced within TEAM_RESYNC_STALE_TIME, reads the group's members, links (or, with
 * FEATURE_USER_CREATION, creates) their accounts, then adds the missing members and removes the
 * users no longer in the group. Robots are never touched. A team whose group cannot be read is
 * left as it is and retried on the next run.
 */
export class TeamSyncWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(private readonly deps: TeamSyncDeps) {}

  async runOnce(): Promise<{ synced: number }> {
    const staleMs = parseDurationSeconds(this.deps.config.TEAM_RESYNC_STALE_TIME) * 1000;
    const due = await staleTeamSyncs(this.deps.db, LDAP_SERVICE, nowMs() - staleMs, MAX_TEAMS_PER_RUN);
    let synced = 0;
    for (const sync of due) {
      try {
        if (await this.syncTeam(sync)) synced++;
      } catch (err) {
        this.deps.log.error({ err, team: sync.team_id }, 'team sync failed; will retry');
      }
    }
    return { synced };
  }

  /** Runs every `intervalMs` (one run at a time) until stop(). */
  start(intervalMs: number = TEAM_SYNC_INTERVAL_MS): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.runOnce()
        .catch((err: unknown) => this.deps.log.error({ err }, 'team sync run failed'))
        .finally(() => {
          this.running = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async syncTeam(sync: TeamSync): Promise<boolean> {
    const syncConfig = parseTeamSyncConfig(sync.config);
    if (!syncConfig) {
      this.deps.log.warn({ team: sync.team_id }, 'team sync config has no group_dn; skipped');
      return false;
    }
    const members = await this.deps.directory.listGroupMembers(syncConfig.group_dn);
    const userIds = await this.memberAccountIds(members, sync.team_id);
    const change = await applyTeamSync(this.deps.db, sync, userIds);
    if (!change) return false;
    this.deps.log.info(
      { team: sync.team_id, added: change.added.length, removed: change.removed.length },
      'team synced with its LDAP group',
    );
    return true;
  }

  private async memberAccountIds(members: DirectoryUser[], teamId: number): Promise<number[]> {
    const mayCreate = this.deps.config.FEATURE_USER_CREATION;
    const ids = new Set<number>();
    for (const member of members) {
      try {
        const account = await this.deps.directory.accountFor(member, mayCreate);
        if (account) ids.add(account.id);
      } catch (err) {
        this.deps.log.warn({ err, team: teamId, uid: member.uid }, 'could not link a group member to an account');
      }
    }
    return [...ids];
  }
}

/**
 * Starts the team sync worker when FEATURE_TEAM_SYNCING is on and the LDAP directory is in use;
 * returns it so the caller can stop() it on shutdown, or undefined when there is nothing to run.
 */
export function startTeamSyncWorker(
  ctx: Pick<AppContext, 'db' | 'config' | 'directory' | 'log'>,
  intervalMs: number = TEAM_SYNC_INTERVAL_MS,
): TeamSyncWorker | undefined {
  if (!ctx.config.FEATURE_TEAM_SYNCING || !(ctx.directory instanceof LdapDirectory)) return undefined;
  const worker = new TeamSyncWorker({ db: ctx.db, config: ctx.config, directory: ctx.directory, log: ctx.log });
  worker.start(intervalMs);
  return worker;
}
