import type { AppContext } from '../context.js';
import { createMailer, type Mailer } from '../mail/mailer.js';
import { findDeliverableNotification, MAX_NOTIFICATION_FAILURES, recordDeliveryAttempt } from '../model/notifications.js';
import { asRecord, asString } from '../model/narrow.js';
import type { LeasedItem } from '../model/queue.js';
import { completeEventData } from '../notifications/event-data.js';
import { eventDefinition } from '../notifications/events.js';
import { notificationMethod } from '../notifications/index.js';
import { QueueWorker } from './queue-worker.js';

/**
 * Delivers repository notifications from the `notification` queue (Quay's notificationworker).
 * Each item names a notification and carries the event's payload. A notification that is gone, or
 * has failed MAX_NOTIFICATION_FAILURES times in a row, is skipped; a payload its event config
 * filters out is dropped. A failed delivery counts against the notification and the queue retries
 * the item with back-off; a success sets the count back to zero.
 */

export type NotificationWorkerContext = Pick<AppContext, 'db' | 'dialect' | 'config' | 'log'>;

export interface NotificationWorkerOptions {
  /** Defaults to the MAIL_* mailer. */
  mailer?: Mailer;
  /** Back-off before retry n of a failed delivery (QueueWorker's default when absent). */
  retryDelayMs?(attempt: number): number;
  pollMs?: number;
}

export function createNotificationWorker(ctx: NotificationWorkerContext, options: NotificationWorkerOptions = {}): QueueWorker {
  const mailer = options.mailer ?? createMailer(ctx.config);
  const deps = { db: ctx.db, config: ctx.config, mailer };

  async function handle(item: LeasedItem): Promise<void> {
    const uuid = asString(item.body['notification_uuid']);
    if (!uuid) return;
    const notification = await findDeliverableNotification(ctx.db, uuid);
    if (!notification || notification.numberOfFailures >= MAX_NOTIFICATION_FAILURES) return;
    const event = eventDefinition(notification.event);
    const method = notificationMethod(notification.method);
    if (!event || !method) {
      ctx.log.warn({ notification: uuid, event: notification.event, method: notification.method }, 'notification has an unknown event or method; dropped');
      return;
    }
    const eventData = completeEventData(
      ctx.config,
      notification.namespaceName,
      notification.repositoryName,
      asRecord(item.body['event_data']) ?? {},
    );
    if (!event.shouldDeliver(eventData, notification.eventConfig)) return;
    try {
      await method.deliver(deps, { notification, event, eventData });
    } catch (err) {
      await recordDeliveryAttempt(ctx.db, notification.id, false);
      throw err;
    }
    await recordDeliveryAttempt(ctx.db, notification.id, true);
  }

  return new QueueWorker(
    { db: ctx.db, dialect: ctx.dialect, log: ctx.log },
    {
      queue: 'notification',
      handle,
      ...(options.retryDelayMs ? { retryDelayMs: options.retryDelayMs } : {}),
      ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    },
  );
}

/** Starts consuming the notification queue; stop() the result on shutdown. */
export function startNotificationWorker(ctx: NotificationWorkerContext): QueueWorker {
  const worker = createNotificationWorker(ctx);
  worker.start();
  return worker;
}
