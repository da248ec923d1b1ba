import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, NamespaceKind, RepositoryNotificationTable } from '../db/tables.js';
import { nowMs } from './clock.js';
import { parseStoredJsonObject } from './json-text.js';

/**
 * Repository notifications (Quay's RepositoryNotification: an event, a delivery method and their
 * settings) and in-app notifications (Quay's Notification, what /api/v1/user/notifications lists).
 */

/** A notification that failed this many deliveries in a row is no longer delivered until reset (Quay's limit). */
export const MAX_NOTIFICATION_FAILURES = 3;

export interface RepositoryNotification {
  id: number;
  uuid: string;
  repositoryId: number;
  event: string;
  method: string;
  title: string | null;
  config: Record<string, unknown>;
  eventConfig: Record<string, unknown>;
  numberOfFailures: number;
  lastRanMs: number | null;
}

/** A notification together with the repository it belongs to, as the delivery worker needs it. */
export interface DeliverableNotification extends RepositoryNotification {
  namespaceName: string;
  namespaceId: number;
  repositoryName: string;
}

function toNotification(row: Selectable<RepositoryNotificationTable>): RepositoryNotification {
  return {
    id: Number(row.id),
    uuid: row.uuid,
    repositoryId: Number(row.repository_id),
    event: row.event,
    method: row.method,
    title: row.title,
    config: parseStoredJsonObject(row.config),
    eventConfig: parseStoredJsonObject(row.event_config),
    numberOfFailures: Number(row.number_of_failures),
    lastRanMs: row.last_ran_ms === null ? null : Number(row.last_ran_ms),
  };
}

export interface NewRepositoryNotification {
  repositoryId: number;
  event: string;
  method: string;
  title: string | null;
  config: Record<string, unknown>;
  eventConfig: Record<string, unknown>;
}

export async function createRepositoryNotification(
  db: Kysely<Database>,
  input: NewRepositoryNotification,
): Promise<RepositoryNotification> {
  const row = await db
    .insertInto('repository_notification')
    .values({
      uuid: randomUUID(),
      repository_id: input.repositoryId,
      event: input.event,
      method: input.method,
      title: input.title,
      config: JSON.stringify(input.config),
      event_config: JSON.stringify(input.eventConfig),
      last_ran_ms: null,
      created_at: nowMs(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toNotification(row);
}

export async function listRepositoryNotifications(
  db: Kysely<Database>,
  repositoryId: number,
): Promise<RepositoryNotification[]> {
  const rows = await db
    .selectFrom('repository_notification')
    .selectAll()
    .where('repository_id', '=', repositoryId)
    .orderBy('id')
    .execute();
  return rows.map(toNotification);
}

/** The notification `uuid` of this repository; undefined when it has none by that id. */
export async function findRepositoryNotification(
  db: Kysely<Database>,
  repositoryId: number,
  uuid: string,
): Promise<RepositoryNotification | undefined> {
  const row = await db
    .selectFrom('repository_notification')
    .selectAll()
    .where('repository_id', '=', repositoryId)
    .where('uuid', '=', uuid)
    .executeTakeFirst();
  return row ? toNotification(row) : undefined;
}

/** Deletes the repository's notification `uuid`; returns it, or undefined when there was none. */
export async function deleteRepositoryNotification(
  db: Kysely<Database>,
  repositoryId: number,
  uuid: string,
): Promise<RepositoryNotification | undefined> {
  const row = await db
    .deleteFrom('repository_notification')
    .where('repository_id', '=', repositoryId)
    .where('uuid', '=', uuid)
    .returningAll()
    .executeTakeFirst();
  return row ? toNotification(row) : undefined;
}

/** Sets the failure count back to zero, so a disabled notification is delivered again. */
export async function resetNotificationFailures(db: Kysely<Database>, id: number): Promise<void> {
  await db.updateTable('repository_notification').set({ number_of_failures: 0 }).where('id', '=', id).execute();
}

/** The notification `uuid` with its repository, unless the notification or repository is gone. */
export async function findDeliverableNotification(
  db: Kysely<Database>,
  uuid: string,
): Promise<DeliverableNotification | undefined> {
  const row = await db
    .selectFrom('repository_notification')
    .innerJoin('repository', 'repository.id', 'repository_notification.repository_id')
    .innerJoin('namespace', 'namespace.id', 'repository.namespace_id')
    .selectAll('repository_notification')
    .select(['namespace.name as namespace_name', 'namespace.id as namespace_id', 'repository.name as repository_name'])
    .where('repository_notification.uuid', '=', uuid)
    .where('repository.state', '!=', 'MARKED_FOR_DELETION')
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    ...toNotification(row),
    namespaceName: row.namespace_name,
    namespaceId: Number(row.namespace_id),
    repositoryName: row.repository_name,
  };
}

/**
 * Records a delivery attempt: its time, and the failure count (back to zero after a success, as
 * Quay's worker does, or one more after a failure).
 */
export async function recordDeliveryAttempt(db: Kysely<Database>, id: number, succeeded: boolean): Promise<void> {
  await db
    .updateTable('repository_notification')
    .set({
      last_ran_ms: nowMs(),
      number_of_failures: succeeded ? 0 : sql<number>`number_of_failures + 1`,
    })
    .where('id', '=', id)
    .execute();
}

// ---- in-app notifications ---------------------------------------------------------------------

export interface UserNotification {
  id: number;
  uuid: string;
  kind: string;
  metadata: Record<string, unknown>;
  dismissed: boolean;
  createdAt: number;
  /** The organization notified, when the notification is addressed to one rather than to the user. */
  organizationName: string | null;
}

interface UserNotificationRow {
  id: number | string;
  uuid: string;
  kind: string;
  metadata: string;
  dismissed: number | string | boolean;
  created_at: number | string;
  target_name: string;
  target_kind: NamespaceKind;
}

function toUserNotification(row: UserNotificationRow): UserNotification {
  return {
    id: Number(row.id),
    uuid: row.uuid,
    kind: row.kind,
    metadata: parseStoredJsonObject(row.metadata),
    dismissed: Number(row.dismissed) === 1 || row.dismissed === true,
    createdAt: Number(row.created_at),
    organizationName: row.target_kind === 'organization' ? row.target_name : null,
  };
}

/** Adds one in-app notification of `kind` for each target account (users, or an organization). */
export async function createUserNotifications(
  db: Kysely<Database>,
  kind: string,
  targetIds: readonly number[],
  metadata: Record<string, unknown>,
): Promise<void> {
  if (targetIds.length === 0) return;
  const created = nowMs();
  const text = JSON.stringify(metadata);
  await db
    .insertInto('notification')
    .values(
      [...new Set(targetIds)].map((targetId) => ({
        uuid: randomUUID(),
        kind,
        target_id: targetId,
        metadata: text,
        lookup_path: null,
        created_at: created,
      })),
    )
    .execute();
}

/**
 * The in-app notifications a user sees: those addressed to the user and those addressed to an
 * organization the user administers (member of one of its admin teams), as in Quay.
 */
function visibleNotifications(db: Kysely<Database>, userId: number) {
  return db
    .selectFrom('notification')
    .innerJoin('namespace', 'namespace.id', 'notification.target_id')
    .select([
      'notification.id as id',
      'notification.uuid as uuid',
      'notification.kind as kind',
      'notification.metadata as metadata',
      'notification.dismissed as dismissed',
      'notification.created_at as created_at',
      'namespace.name as target_name',
      'namespace.kind as target_kind',
    ])
    .where((eb) =>
      eb.or([
        eb('notification.target_id', '=', userId),
        eb(
          'notification.target_id',
          'in',
          eb
            .selectFrom('team')
            .innerJoin('team_member', 'team_member.team_id', 'team.id')
            .select('team.organization_id')
            .where('team.role', '=', 'admin')
            .where('team_member.member_id', '=', userId),
        ),
      ]),
    );
}

export interface UserNotificationPage {
  notifications: UserNotification[];
  /** Whether more notifications follow this page. */
  additional: boolean;
}

/** A page (1-based; 0 counts as 1, as in Quay) of the user's notifications that are not dismissed, newest first. */
export async function listUserNotifications(
  db: Kysely<Database>,
  userId: number,
  page: number,
  limit: number,
): Promise<UserNotificationPage> {
  const offset = Math.max(page - 1, 0) * limit;
  const rows = await visibleNotifications(db, userId)
    .where('notification.dismissed', '=', 0)
    .orderBy('notification.created_at', 'desc')
    .orderBy('notification.id', 'desc')
    .limit(limit + 1)
    .offset(offset)
    .execute();
  return {
    notifications: rows.slice(0, limit).map((row) => toUserNotification(row as UserNotificationRow)),
    additional: rows.length > limit,
  };
}

/** One notification the user sees, dismissed or not. */
export async function findUserNotification(
  db: Kysely<Database>,
  userId: number,
  uuid: string,
): Promise<UserNotification | undefined> {
  const row = await visibleNotifications(db, userId).where('notification.uuid', '=', uuid).executeTakeFirst();
  return row ? toUserNotification(row as UserNotificationRow) : undefined;
}

export async function setUserNotificationDismissed(db: Kysely<Database>, id: number, dismissed: boolean): Promise<void> {
  await db
    .updateTable('notification')
    .set({ dismissed: dismissed ? 1 : 0 })
    .where('id', '=', id)
    .execute();
}

// ---- recipients ---------------------------------------------------------------------------------

/** Enabled user accounts with this e-mail address, compared case-insensitively. */
export async function usersWithEmail(db: Kysely<Database>, email: string): Promise<{ id: number; name: string }[]> {
  const rows = await db
    .selectFrom('namespace')
    .select(['id', 'name'])
    .where('kind', '=', 'user')
    .where('enabled', '=', 1)
    .where('deleted_at', 'is', null)
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .execute();
  return rows.map((row) => ({ id: Number(row.id), name: row.name }));
}
