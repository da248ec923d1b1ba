import { Type as T } from '@sinclair/typebox';
import { authorizeOwnAccount } from '../auth/authorize.js';
import { Invalid, NotFound } from '../errors.js';
import {
  createRepositoryNotification,
  deleteRepositoryNotification,
  findRepositoryNotification,
  findUserNotification,
  listRepositoryNotifications,
  listUserNotifications,
  type RepositoryNotification,
  resetNotificationFailures,
  setUserNotificationDismissed,
  type UserNotification,
} from '../model/notifications.js';
import { formatQuayDate } from '../model/quay-date.js';
import type { RepositoryWithNamespace } from '../model/repositories.js';
import { queueNotificationDelivery } from '../model/repository-events.js';
import { repositoryEventData } from '../notifications/event-data.js';
import { eventDefinition } from '../notifications/events.js';
import { notificationMethod } from '../notifications/index.js';
import { authorizedRepository } from './repositories.js';
import type { ApiCall, ApiRouter } from './router.js';
import { logApiAction } from './usage-log.js';

/**
 * Quay's repository notifications (endpoints/api/repositorynotification.py): create, list, get,
 * delete, reset the failure count, and queue a test delivery; every route needs admin on the
 * repository. Plus the signed-in user's in-app notifications (/api/v1/user/notifications).
 */

// Quay spells the listing with a trailing slash; the router answers both forms.
const PREFIX = '/api/v1/repository/{repository}/notification';

const CreateBody = T.Object({
  event: T.String({ description: 'The event the notification responds to, e.g. repo_push.' }),
  method: T.String({ description: 'How it is delivered: webhook, email, slack or quay_notification.' }),
  config: T.Record(T.String(), T.Unknown(), { description: "The method's settings (url, email or target)." }),
  eventConfig: T.Record(T.String(), T.Unknown(), { description: "The event's filter, e.g. {level} for vulnerability_found." }),
  title: T.Optional(T.Union([T.String({ maxLength: 255 }), T.Null()])),
});

const UserListQuery = T.Object({
  page: T.Integer({ minimum: 0, default: 0, description: 'Page number (0 and 1 are the first page).' }),
  limit: T.Integer({ minimum: 1, maximum: 100, default: 5, description: 'Notifications per page.' }),
});

const DismissBody = T.Object({
  dismissed: T.Optional(T.Boolean({ description: 'Whether the user has dismissed the notification.' })),
});

/** Quay's notification JSON. */
function notificationView(notification: RepositoryNotification) {
  return {
    uuid: notification.uuid,
    title: notification.title,
    event: notification.event,
    method: notification.method,
    config: notification.config,
    event_config: notification.eventConfig,
    number_of_failures: notification.numberOfFailures,
  };
}

function userNotificationView(notification: UserNotification) {
  return {
    id: notification.uuid,
    organization: notification.organizationName,
    kind: notification.kind,
    created: formatQuayDate(notification.createdAt),
    metadata: notification.metadata,
    dismissed: notification.dismissed,
  };
}

function uuidParam(call: ApiCall<unknown, unknown>): string {
  return call.params['uuid'] ?? '';
}

/** Quay answers changes to an unknown notification with 400 and this message. */
function noSuchNotification(repo: RepositoryWithNamespace, uuid: string): Invalid {
  return new Invalid('input', `No repository notification found for: ${repo.namespace_name}, ${repo.name}, ${uuid}`);
}

async function existingNotification(call: ApiCall<unknown, unknown>, repo: RepositoryWithNamespace): Promise<RepositoryNotification> {
  const notification = await findRepositoryNotification(call.ctx.db, repo.id, uuidParam(call));
  if (!notification) throw noSuchNotification(repo, uuidParam(call));
  return notification;
}

async function logNotificationAction(
  call: ApiCall<unknown, unknown>,
  kind: 'add_repo_notification' | 'delete_repo_notification' | 'reset_repo_notification',
  repo: RepositoryWithNamespace,
  notification: RepositoryNotification,
): Promise<void> {
  await logApiAction(call, {
    kind,
    namespaceId: repo.namespace_id,
    repositoryId: repo.id,
    metadata: {
      repo: repo.name,
      namespace: repo.namespace_name,
      notification_id: notification.uuid,
      event: notification.event,
      method: notification.method,
    },
  });
}

function registerRepositoryNotificationRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: PREFIX,
    summary: "List a repository's notifications.",
    tag: 'repositorynotification',
    operationId: 'listRepoNotifications',
    handler: async (call) => {
      const repo = await authorizedRepository(call, 'admin');
      const notifications = await listRepositoryNotifications(call.ctx.db, repo.id);
      return { notifications: notifications.map(notificationView) };
    },
  });

  router.add({
    method: 'POST',
    path: PREFIX,
    summary: 'Create a notification on a repository.',
    tag: 'repositorynotification',
    operationId: 'createRepoNotification',
    body: CreateBody,
    status: 201,
    handler: async (call) => {
      const repo = await authorizedRepository(call, 'admin');
      const { event: eventName, method: methodName, config, eventConfig, title } = call.body;
      const event = eventDefinition(eventName);
      if (!event) throw new Invalid('input', `Unknown event: ${eventName}`);
      const method = notificationMethod(methodName);
      if (!method) throw new Invalid('input', `Unknown method: ${methodName}`);
      event.validateConfig(eventConfig);
      await method.validate(call.ctx, repo, config);
      const notification = await createRepositoryNotification(call.ctx.db, {
        repositoryId: repo.id,
        event: event.name,
        method: method.name,
        title: title ?? null,
        config,
        eventConfig,
      });
      await logNotificationAction(call, 'add_repo_notification', repo, notification);
      return notificationView(notification);
    },
  });

  router.add({
    method: 'GET',
    path: `${PREFIX}/{uuid}`,
    summary: 'Fetch one notification of a repository.',
    tag: 'repositorynotification',
    operationId: 'getRepoNotification',
    handler: async (call) => {
      const repo = await authorizedRepository(call, 'admin');
      const notification = await findRepositoryNotification(call.ctx.db, repo.id, uuidParam(call));
      // The kind only picks OCI error codes, which the API does not use.
      if (!notification) throw new NotFound('repository', `notification ${uuidParam(call)} not found`);
      return notificationView(notification);
    },
  });

  router.add({
    method: 'DELETE',
    path: `${PREFIX}/{uuid}`,
    summary: 'Delete a notification of a repository.',
    tag: 'repositorynotification',
    operationId: 'deleteRepoNotification',
    status: 204,
    handler: async (call) => {
      const repo = await authorizedRepository(call, 'admin');
      const deleted = await deleteRepositoryNotification(call.ctx.db, repo.id, uuidParam(call));
      if (!deleted) throw noSuchNotification(repo, uuidParam(call));
      await logNotificationAction(call, 'delete_repo_notification', repo, deleted);
      return undefined;
    },
  });

  router.add({
    method: 'POST',
    path: `${PREFIX}/{uuid}`,
    summary: "Reset a notification's failure count, so that it is delivered again.",
    tag: 'repositorynotification',
    operationId: 'resetRepositoryNotificationFailures',
    status: 204,
    handler: async (call) => {
      const repo = await authorizedRepository(call, 'admin');
      const notification = await existingNotification(call, repo);
      await resetNotificationFailures(call.ctx.db, notification.id);
      await logNotificationAction(call, 'reset_repo_notification', repo, notification);
      return undefined;
    },
  });

  router.add({
    method: 'POST',
    path: `${PREFIX}/{uuid}/test`,
    summary: 'Queue a delivery of a sample event through a notification.',
    tag: 'repositorynotification',
    operationId: 'testRepoNotification',
    handler: async (call) => {
      const repo = await authorizedRepository(call, 'admin');
      const notification = await existingNotification(call, repo);
      const event = eventDefinition(notification.event);
      if (!event) throw new Invalid('input', `Unknown event: ${notification.event}`);
      const sample = event.sample(notification.eventConfig);
      const eventData = repositoryEventData(call.ctx.config, repo.namespace_name, repo.name, sample.extra, sample.subpage);
      await queueNotificationDelivery(call.ctx.db, notification.uuid, event.name, eventData);
      return {};
    },
  });
}

function registerUserNotificationRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/user/notifications',
    summary: "List the signed-in user's notifications that are not dismissed, newest first.",
    tag: 'user',
    operationId: 'listUserNotifications',
    internal: true,
    query: UserListQuery,
    handler: async (call) => {
      const user = authorizeOwnAccount(call.actor, 'user:admin');
      const page = await listUserNotifications(call.ctx.db, user.id, call.query.page, call.query.limit);
      return { notifications: page.notifications.map(userNotificationView), additional: page.additional };
    },
  });

  router.add({
    method: 'GET',
    path: '/api/v1/user/notifications/{uuid}',
    summary: "Fetch one of the signed-in user's notifications.",
    tag: 'user',
    operationId: 'getUserNotification',
    internal: true,
    handler: async (call) => {
      const user = authorizeOwnAccount(call.actor, 'user:admin');
      const notification = await findUserNotification(call.ctx.db, user.id, uuidParam(call));
      if (!notification) throw new NotFound('user', `notification ${uuidParam(call)} not found`);
      return userNotificationView(notification);
    },
  });

  router.add({
    method: 'PUT',
    path: '/api/v1/user/notifications/{uuid}',
    summary: "Dismiss one of the signed-in user's notifications, or bring it back.",
    tag: 'user',
    operationId: 'updateUserNotification',
    internal: true,
    body: DismissBody,
    handler: async (call) => {
      const user = authorizeOwnAccount(call.actor, 'user:admin');
      const notification = await findUserNotification(call.ctx.db, user.id, uuidParam(call));
      if (!notification) throw new NotFound('user', `notification ${uuidParam(call)} not found`);
      const dismissed = call.body.dismissed ?? false;
      await setUserNotificationDismissed(call.ctx.db, notification.id, dismissed);
      return userNotificationView({ ...notification, dismissed });
    },
  });
}

export function registerNotificationsRoutes(router: ApiRouter): void {
  registerRepositoryNotificationRoutes(router);
  registerUserNotificationRoutes(router);
}
