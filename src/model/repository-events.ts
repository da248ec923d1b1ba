import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { enqueue } from './queue.js';

/**
 * Events a repository notification can subscribe to (Quay's ExternalNotificationEvent names).
 * Builds are not part of Quayside, so build_* events are accepted for subscriptions and tests only.
 */
export const REPOSITORY_EVENTS = [
  'repo_push',
  'vulnerability_found',
  'repo_mirror_sync_started',
  'repo_mirror_sync_success',
  'repo_mirror_sync_failed',
  'repo_image_expiry',
  'build_queued',
  'build_start',
  'build_success',
  'build_failure',
  'build_cancelled',
] as const;

export type RepositoryEvent = (typeof REPOSITORY_EVENTS)[number];

/**
 * Queues one delivery per notification of `repositoryId` subscribed to `event`. `eventData` is the
 * event's payload in Quay's shape; the notification worker filters it against each notification's
 * event config and delivers it through the notification's method.
 */
export async function queueRepositoryEvent(
  db: Kysely<Database>,
  repositoryId: number,
  event: RepositoryEvent,
  eventData: Record<string, unknown>,
): Promise<number> {
  const subscriptions = await db
    .selectFrom('repository_notification')
    .select('uuid')
    .where('repository_id', '=', repositoryId)
    .where('event', '=', event)
    .execute();
  for (const { uuid } of subscriptions) await queueNotificationDelivery(db, uuid, event, eventData);
  return subscriptions.length;
}

/** Queues one delivery of `eventData` through the notification `notificationUuid` (its "test" uses this). */
export async function queueNotificationDelivery(
  db: Kysely<Database>,
  notificationUuid: string,
  event: RepositoryEvent,
  eventData: Record<string, unknown>,
): Promise<void> {
  await enqueue(db, 'notification', { notification_uuid: notificationUuid, event, event_data: eventData });
}
