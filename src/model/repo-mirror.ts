import { randomUUID } from 'node:crypto';
import type { ExpressionBuilder, Kysely, Selectable, Transaction } from 'kysely';
import { onPostgres } from '../db/dialect-of.js';
import type { SecretBox } from '../auth/secret-box.js';
import type { Database, RepoMirrorConfigTable, RepoMirrorStatus } from '../db/tables.js';
import { nowMs } from './clock.js';
import { parseStoredJsonObject } from './json-text.js';

/**
 * Repository mirror configurations and the state machine of their syncs (Quay's RepoMirrorConfig):
 * NEVER_RUN → (due or SYNC_NOW) → SYNCING → SUCCESS | FAIL | CANCEL. A worker claims a due sync by
 * swapping sync_transaction_id; only the holder of the new id can release it, so several workers
 * never run the same sync, and a claim that runs out (sync_expiration_date) may be taken over.
 */

/** Attempts a failing sync gets before it waits for its next interval (Quay's default). */
export const MIRROR_SYNC_RETRIES = 3;

/** How long a claim lasts before another worker may take the sync over (Quay's MAX_SYNC_DURATION). */
export const MIRROR_MAX_SYNC_DURATION_MS = 12 * 3600 * 1000;

export interface MirrorProxy {
  http_proxy: string | null;
  https_proxy: string | null;
  no_proxy: string | null;
}

/** Quay's external_registry_config. */
export interface MirrorRegistryConfig {
  verify_tls: boolean;
  unsigned_images: boolean;
  proxy: MirrorProxy;
}

/** A repository's mirror configuration, credentials still sealed. */
export interface MirrorConfig {
  repositoryId: number;
  robotId: number | null;
  isEnabled: boolean;
  externalReference: string;
  sealedUsername: string | null;
  sealedPassword: string | null;
  registryConfig: MirrorRegistryConfig;
  /** The tag globs of the root rule (tag_glob_csv), in the order given. */
  tagPatterns: string[];
  syncIntervalSeconds: number;
  syncStartDate: number | null;
  syncExpirationDate: number | null;
  syncRetriesRemaining: number;
  syncStatus: RepoMirrorStatus;
  syncTransactionId: string;
  skopeoTimeoutSeconds: number;
  lastSyncStartedAt: number | null;
  lastSyncFinishedAt: number | null;
  lastSyncMessage: string | null;
  createdAt: number;
}

export const DEFAULT_MIRROR_REGISTRY_CONFIG: MirrorRegistryConfig = {
  verify_tls: true,
  unsigned_images: false,
  proxy: { http_proxy: null, https_proxy: null, no_proxy: null },
};

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function parseMirrorRegistryConfig(text: string): MirrorRegistryConfig {
  const raw = parseStoredJsonObject(text);
  const proxy = raw.proxy && typeof raw.proxy === 'object' ? (raw.proxy as Record<string, unknown>) : {};
  return {
    verify_tls: raw.verify_tls !== false,
    unsigned_images: raw.unsigned_images === true,
    proxy: {
      http_proxy: stringOrNull(proxy.http_proxy),
      https_proxy: stringOrNull(proxy.https_proxy),
      no_proxy: stringOrNull(proxy.no_proxy),
    },
  };
}

function parseTagPatternList(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

function toMirrorConfig(row: Selectable<RepoMirrorConfigTable>): MirrorConfig {
  return {
    repositoryId: row.repository_id,
    robotId: row.internal_robot_id,
    isEnabled: row.is_enabled !== 0,
    externalReference: row.external_reference,
    sealedUsername: row.external_registry_username,
    sealedPassword: row.external_registry_password,
    registryConfig: parseMirrorRegistryConfig(row.external_registry_config),
    tagPatterns: parseTagPatternList(row.root_rule),
    syncIntervalSeconds: row.sync_interval,
    syncStartDate: row.sync_start_date,
    syncExpirationDate: row.sync_expiration_date,
    syncRetriesRemaining: row.sync_retries_remaining,
    syncStatus: row.sync_status,
    syncTransactionId: row.sync_transaction_id,
    skopeoTimeoutSeconds: row.skopeo_timeout_interval,
    lastSyncStartedAt: row.last_sync_started_at,
    lastSyncFinishedAt: row.last_sync_finished_at,
    lastSyncMessage: row.last_sync_message,
    createdAt: row.created_at,
  };
}

export async function findMirrorConfig(db: Kysely<Database>, repositoryId: number): Promise<MirrorConfig | undefined> {
  const row = await db.selectFrom('repo_mirror_config').selectAll().where('repository_id', '=', repositoryId).executeTakeFirst();
  return row ? toMirrorConfig(row) : undefined;
}

/** The external registry's credentials in the clear, for the worker only. */
export function openMirrorCredentials(
  secrets: SecretBox,
  config: Pick<MirrorConfig, 'sealedUsername' | 'sealedPassword'>,
): { username: string; password: string } | undefined {
  if (config.sealedUsername === null) return undefined;
  const username = secrets.open(config.sealedUsername);
  if (username === undefined) return undefined;
  const password = config.sealedPassword === null ? '' : (secrets.open(config.sealedPassword) ?? '');
  return { username, password };
}

/** Fields a create or update may set; credentials arrive in the clear and are sealed here. */
export interface MirrorConfigChanges {
  robotId?: number;
  isEnabled?: boolean;
  externalReference?: string;
  /** null removes the stored value. */
  username?: string | null;
  password?: string | null;
  registryConfig?: MirrorRegistryConfig;
  tagPatterns?: string[];
  syncIntervalSeconds?: number;
  syncStartDate?: number;
  skopeoTimeoutSeconds?: number;
}

function changedColumns(secrets: SecretBox, changes: MirrorConfigChanges) {
  const seal = (value: string | null) => (value === null || value === '' ? null : secrets.seal(value));
  return {
    ...(changes.robotId !== undefined && { internal_robot_id: changes.robotId }),
    ...(changes.isEnabled !== undefined && { is_enabled: changes.isEnabled ? 1 : 0 }),
    ...(changes.externalReference !== undefined && { external_reference: changes.externalReference }),
    ...(changes.username !== undefined && { external_registry_username: seal(changes.username) }),
    ...(changes.password !== undefined && { external_registry_password: seal(changes.password) }),
    ...(changes.registryConfig !== undefined && { external_registry_config: JSON.stringify(changes.registryConfig) }),
    ...(changes.tagPatterns !== undefined && { root_rule: JSON.stringify(changes.tagPatterns) }),
    ...(changes.syncIntervalSeconds !== undefined && { sync_interval: changes.syncIntervalSeconds }),
    ...(changes.syncStartDate !== undefined && { sync_start_date: changes.syncStartDate }),
    ...(changes.skopeoTimeoutSeconds !== undefined && { skopeo_timeout_interval: changes.skopeoTimeoutSeconds }),
  };
}

/** The columns of a new configuration: the given fields over defaults, its sync state at NEVER_RUN. */
function freshMirrorColumns(
  secrets: SecretBox,
  changes: MirrorConfigChanges & { robotId: number; externalReference: string; tagPatterns: string[] },
  now: number,
) {
  return {
    is_enabled: 1,
    external_registry_username: null,
    external_registry_password: null,
    external_registry_config: JSON.stringify(DEFAULT_MIRROR_REGISTRY_CONFIG),
    sync_start_date: now,
    sync_expiration_date: null,
    sync_retries_remaining: MIRROR_SYNC_RETRIES,
    sync_status: 'NEVER_RUN' as const,
    sync_transaction_id: randomUUID(),
    last_sync_started_at: null,
    last_sync_finished_at: null,
    last_sync_message: null,
    ...changedColumns(secrets, changes),
  };
}

async function savedMirrorConfig(db: Kysely<Database>, repositoryId: number): Promise<MirrorConfig> {
  const saved = await findMirrorConfig(db, repositoryId);
  if (!saved) throw new Error(`mirror configuration of repository ${repositoryId} vanished while it was saved`);
  return saved;
}

/**
 * The mirror robot needs write on the repository it fills (Quay grants it when the robot has no
 * role or only read); a higher role stays.
 */
async function grantMirrorRobotWrite(db: Kysely<Database>, repositoryId: number, robotId: number): Promise<void> {
  await db
    .insertInto('repository_permission')
    .values({ repository_id: repositoryId, member_id: robotId, team_id: null, role: 'write' })
    .onConflict((oc) =>
      oc.columns(['repository_id', 'member_id']).doUpdateSet({ role: 'write' }).where('repository_permission.role', '=', 'read'),
    )
    .execute();
}

/**
 * Starts mirroring a repository (Quay's enable_mirroring_for_repository): creates its configuration,
 * puts the repository in the MIRROR state and gives the mirror robot write permission, all or
 * nothing. Undefined when the repository already has a configuration (nothing changes then).
 */
export async function createMirrorConfig(
  db: Kysely<Database>,
  secrets: SecretBox,
  repositoryId: number,
  changes: MirrorConfigChanges & { robotId: number; externalReference: string; tagPatterns: string[] },
  now: number,
): Promise<MirrorConfig | undefined> {
  const fresh = freshMirrorColumns(secrets, changes, now);
  const created = await db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('repo_mirror_config')
      .values({ repository_id: repositoryId, created_at: now, ...fresh })
      .onConflict((oc) => oc.column('repository_id').doNothing())
      .executeTakeFirst();
    if ((inserted.numInsertedOrUpdatedRows ?? 0n) === 0n) return false;
    await trx
      .updateTable('repository')
      .set({ state: 'MIRROR' })
      .where('id', '=', repositoryId)
      .where('state', '!=', 'MARKED_FOR_DELETION')
      .execute();
    await grantMirrorRobotWrite(trx, repositoryId, changes.robotId);
    return true;
  });
  return created ? savedMirrorConfig(db, repositoryId) : undefined;
}

/**
 * Changes some fields of an existing configuration as the API does: a new mirror robot also gets
 * write permission, in the same transaction. False when the repository has none.
 */
export async function changeMirrorConfig(
  db: Kysely<Database>,
  secrets: SecretBox,
  repositoryId: number,
  changes: MirrorConfigChanges,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const updated = await updateMirrorConfig(trx, secrets, repositoryId, changes);
    if (updated && changes.robotId !== undefined) await grantMirrorRobotWrite(trx, repositoryId, changes.robotId);
    return updated;
  });
}

/** Changes some fields of an existing configuration; false when the repository has none. */
export async function updateMirrorConfig(
  db: Kysely<Database>,
  secrets: SecretBox,
  repositoryId: number,
  changes: MirrorConfigChanges,
): Promise<boolean> {
  const columns = changedColumns(secrets, changes);
  if (Object.keys(columns).length === 0) return (await findMirrorConfig(db, repositoryId)) !== undefined;
  const result = await db.updateTable('repo_mirror_config').set(columns).where('repository_id', '=', repositoryId).executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Asks for a sync at the next worker tick (Quay's sync-now). False without a configuration, while a
 * sync runs, and while a cancelled sync has not let go of its claim yet (it is still between two
 * blobs): another worker would otherwise start a second sync beside it.
 */
export async function requestMirrorSyncNow(db: Kysely<Database>, repositoryId: number, now: number = nowMs()): Promise<boolean> {
  const result = await db
    .updateTable('repo_mirror_config')
    .set({ sync_status: 'SYNC_NOW', sync_expiration_date: null, sync_retries_remaining: MIRROR_SYNC_RETRIES })
    .where('repository_id', '=', repositoryId)
    .where('sync_status', '!=', 'SYNCING')
    .where((eb) =>
      eb.or([eb('sync_status', '!=', 'CANCEL'), eb('sync_expiration_date', 'is', null), eb('sync_expiration_date', '<=', now)]),
    )
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Cancels the requested or running sync (Quay's sync-cancel, which answers 404 when there is
 * none): a running sync stops between blobs and changes no tag (the manifests and blobs it stored
 * by digest stay until garbage collection); no further sync is scheduled until one is requested or
 * the configuration changes. False when there is nothing to cancel.
 */
export async function cancelActiveMirrorSync(db: Kysely<Database>, repositoryId: number): Promise<boolean> {
  const result = await db
    .updateTable('repo_mirror_config')
    .set({ sync_status: 'CANCEL' })
    .where('repository_id', '=', repositoryId)
    .where('sync_status', 'in', ['SYNC_NOW', 'SYNCING'])
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

type MirrorConfigRow = ExpressionBuilder<Database, 'repo_mirror_config'>;

/**
 * When a mirror is due at `now`: asked to SYNC_NOW; enabled, its start date come, with retries
 * left; or SYNCING with its claim run out (a worker died). Only repositories in the MIRROR state.
 * Both the search for due mirrors and the claim use it, so a claim never starts a sync that stopped
 * being due meanwhile (disabled, cancelled, rescheduled, or the repository left MIRROR).
 */
function dueCondition(eb: MirrorConfigRow, now: number) {
  return eb.and([
    eb.exists(
      eb
        .selectFrom('repository')
        .select('repository.id')
        .whereRef('repository.id', '=', 'repo_mirror_config.repository_id')
        .where('repository.state', '=', 'MIRROR'),
    ),
    eb.or([
      eb('repo_mirror_config.sync_status', '=', 'SYNC_NOW'),
      eb.and([
        eb('repo_mirror_config.is_enabled', '=', 1),
        eb('repo_mirror_config.sync_status', 'in', ['NEVER_RUN', 'SUCCESS', 'FAIL']),
        eb('repo_mirror_config.sync_start_date', '<=', now),
        eb('repo_mirror_config.sync_retries_remaining', '>', 0),
      ]),
      eb.and([eb('repo_mirror_config.sync_status', '=', 'SYNCING'), eb('repo_mirror_config.sync_expiration_date', '<=', now)]),
    ]),
  ]);
}

/**
 * Mirrors due for a sync at `now` (see dueCondition), oldest start date first. `finishedBefore`
 * leaves out those whose last sync ended at or after it (a worker passes the start of its run: a
 * failed sync is retried at the next run, not at once).
 */
export async function dueMirrors(
  db: Kysely<Database>,
  now: number,
  limit: number,
  finishedBefore?: number,
): Promise<MirrorConfig[]> {
  let query = db
    .selectFrom('repo_mirror_config')
    .selectAll('repo_mirror_config')
    .where((eb) => dueCondition(eb, now));
  if (finishedBefore !== undefined) {
    query = query.where((eb) =>
      eb.or([eb('repo_mirror_config.last_sync_finished_at', 'is', null), eb('repo_mirror_config.last_sync_finished_at', '<', finishedBefore)]),
    );
  }
  const rows = await query.orderBy('repo_mirror_config.sync_start_date').limit(limit).execute();
  return rows.map(toMirrorConfig);
}

/** A sync one worker holds; only this claim can release it. */
export interface MirrorClaim {
  config: MirrorConfig;
  transactionId: string;
}

/**
 * Takes a sync found due; undefined when another worker took it first, or when it stopped being due
 * or its status changed since it was read (a cancel, a disable, a new schedule). The claim carries
 * the configuration as it is once claimed, not as it was read.
 */
export async function claimMirror(db: Kysely<Database>, config: MirrorConfig, now: number): Promise<MirrorClaim | undefined> {
  const transactionId = randomUUID();
  const result = await db
    .updateTable('repo_mirror_config')
    .set({
      sync_status: 'SYNCING',
      sync_expiration_date: now + MIRROR_MAX_SYNC_DURATION_MS,
      sync_transaction_id: transactionId,
      last_sync_started_at: now,
    })
    .where('repository_id', '=', config.repositoryId)
    .where('sync_transaction_id', '=', config.syncTransactionId)
    .where('sync_status', '=', config.syncStatus)
    .where((eb) => dueCondition(eb, now))
    .executeTakeFirst();
  if (result.numUpdatedRows === 0n) return undefined;
  const claimed = await findMirrorConfig(db, config.repositoryId);
  if (!claimed || claimed.syncTransactionId !== transactionId) return undefined;
  return { config: claimed, transactionId };
}

/** Whether the claimed sync must stop (checked between blobs): cancelled, taken over, or the repository left the MIRROR state. */
export async function mirrorSyncCancelled(db: Kysely<Database>, claim: MirrorClaim): Promise<boolean> {
  const row = await db
    .selectFrom('repo_mirror_config')
    .innerJoin('repository', 'repository.id', 'repo_mirror_config.repository_id')
    .select(['repo_mirror_config.sync_status', 'repo_mirror_config.sync_transaction_id', 'repository.state'])
    .where('repo_mirror_config.repository_id', '=', claim.config.repositoryId)
    .executeTakeFirst();
  return !row || row.sync_status === 'CANCEL' || row.sync_transaction_id !== claim.transactionId || row.state !== 'MIRROR';
}

/** Why a claimed sync may no longer write: cancelled (or taken over), or the repository is no longer a mirror. */
export type MirrorClaimLoss = 'cancelled' | 'left-mirror';

/**
 * Inside the transaction that writes a sync's result: confirms the claim still holds and the
 * repository is still in the MIRROR state, and keeps both so to the commit (on PostgreSQL the
 * configuration row is locked and the repository row share-locked; on SQLite the first write holds
 * the database's writer lock). Undefined when the sync may write, else why not.
 */
export async function holdMirrorClaim(
  trx: Transaction<Database>,
  repositoryId: number,
  transactionId: string,
): Promise<MirrorClaimLoss | undefined> {
  const held = await trx
    .updateTable('repo_mirror_config')
    .set({ sync_transaction_id: transactionId })
    .where('repository_id', '=', repositoryId)
    .where('sync_transaction_id', '=', transactionId)
    .where('sync_status', '=', 'SYNCING')
    .executeTakeFirst();
  if (held.numUpdatedRows === 0n) return 'cancelled';
  let query = trx.selectFrom('repository').select('state').where('id', '=', repositoryId);
  if (onPostgres(trx)) query = query.forShare();
  const repository = await query.executeTakeFirst();
  return repository?.state === 'MIRROR' ? undefined : 'left-mirror';
}

export type MirrorOutcome = 'SUCCESS' | 'FAIL' | 'CANCEL';

/** The first start of the schedule (start date + k × interval) later than `now`. */
export function nextMirrorStart(startDate: number | null, intervalSeconds: number, now: number): number {
  const intervalMs = Math.max(1, intervalSeconds) * 1000;
  if (startDate === null || startDate > now) return startDate ?? now + intervalMs;
  return startDate + (Math.floor((now - startDate) / intervalMs) + 1) * intervalMs;
}

/**
 * Ends a claimed sync. SUCCESS schedules the next interval with full retries. FAIL retries at the
 * next tick while retries remain (at once when the schedule had been cleared by a cancel), then
 * waits for the next interval. CANCEL schedules nothing.
 * False when the claim was lost (another worker took the sync over).
 */
export async function releaseMirror(
  db: Kysely<Database>,
  claim: MirrorClaim,
  outcome: MirrorOutcome,
  message: string,
  now: number,
): Promise<boolean> {
  const { config } = claim;
  const retriesLeft = outcome === 'FAIL' ? config.syncRetriesRemaining - 1 : MIRROR_SYNC_RETRIES;
  const reschedule = outcome === 'SUCCESS' || (outcome === 'FAIL' && retriesLeft < 1);
  const startDate =
    outcome === 'CANCEL'
      ? null
      : reschedule
        ? nextMirrorStart(config.syncStartDate, config.syncIntervalSeconds, now)
        : (config.syncStartDate ?? now);
  const result = await db
    .updateTable('repo_mirror_config')
    .set({
      sync_status: outcome,
      sync_start_date: startDate ?? null,
      sync_retries_remaining: outcome === 'CANCEL' ? 0 : reschedule ? MIRROR_SYNC_RETRIES : retriesLeft,
      sync_expiration_date: null,
      sync_transaction_id: randomUUID(),
      last_sync_finished_at: now,
      last_sync_message: message,
    })
    .where('repository_id', '=', config.repositoryId)
    .where('sync_transaction_id', '=', claim.transactionId)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Keeps a long sync's claim from running out. */
export async function extendMirrorClaim(db: Kysely<Database>, claim: MirrorClaim, now: number): Promise<boolean> {
  const result = await db
    .updateTable('repo_mirror_config')
    .set({ sync_expiration_date: now + MIRROR_MAX_SYNC_DURATION_MS })
    .where('repository_id', '=', claim.config.repositoryId)
    .where('sync_transaction_id', '=', claim.transactionId)
    .where('sync_status', '=', 'SYNCING')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/**
 * Gives a claimed sync back unfinished (the worker is stopping): the status it had before the claim
 * returns, so the next worker to look takes it at once instead of after the claim's 12 hours. A
 * sync that was taken over from a dead worker stays SYNCING with its claim run out. False when the
 * claim was lost or the sync was cancelled meanwhile (then it is released as cancelled instead).
 */
export async function handBackMirrorClaim(
  db: Kysely<Database>,
  claim: MirrorClaim,
  previousStatus: RepoMirrorStatus,
  now: number,
): Promise<boolean> {
  const takenOver = previousStatus === 'SYNCING';
  const result = await db
    .updateTable('repo_mirror_config')
    .set({
      sync_status: previousStatus,
      sync_expiration_date: takenOver ? now : null,
      sync_transaction_id: randomUUID(),
    })
    .where('repository_id', '=', claim.config.repositoryId)
    .where('sync_transaction_id', '=', claim.transactionId)
    .where('sync_status', '=', 'SYNCING')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
