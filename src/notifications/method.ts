import type { Kysely } from 'kysely';
import type { QuaysideConfig } from '../config/load.js';
import type { Database } from '../db/tables.js';
import type { Mailer } from '../mail/mailer.js';
import type { DeliverableNotification } from '../model/notifications.js';
import type { RepositoryWithNamespace } from '../model/repositories.js';
import type { EventData, EventDefinition } from './events.js';

/** The ways a repository notification can be delivered (Quay's ExternalNotificationMethod names). */
export const NOTIFICATION_METHODS = ['webhook', 'email', 'slack', 'quay_notification'] as const;

export type NotificationMethodName = (typeof NOTIFICATION_METHODS)[number];

export interface MethodDeps {
  db: Kysely<Database>;
  config: QuaysideConfig;
}

export interface DeliveryDeps extends MethodDeps {
  mailer: Mailer;
}

/** One event to deliver through one notification. */
export interface Delivery {
  notification: DeliverableNotification;
  event: EventDefinition;
  /** The complete payload (repository fields included). */
  eventData: EventData;
}

export interface NotificationMethod {
  name: NotificationMethodName;
  /** Throws Invalid when `config` cannot be used for notifications of `repository`. */
  validate(deps: MethodDeps, repository: RepositoryWithNamespace, config: Record<string, unknown>): Promise<void>;
  /** Delivers; throws DeliveryFailed when the receiver could not be reached or refused. */
  deliver(deps: DeliveryDeps, delivery: Delivery): Promise<void>;
}

/**
 * A delivery did not succeed. The message is safe to log: it never contains a receiver's full URL,
 * which for Slack and many webhooks is itself the secret.
 */
export class DeliveryFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryFailed';
  }
}

export function isNotificationMethodName(value: string): value is NotificationMethodName {
  return (NOTIFICATION_METHODS as readonly string[]).includes(value);
}
