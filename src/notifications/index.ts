import { emailMethod } from './email.js';
import { type NotificationMethod, type NotificationMethodName, isNotificationMethodName } from './method.js';
import { quayNotificationMethod } from './quay-notification.js';
import { slackMethod } from './slack.js';
import { webhookMethod } from './webhook.js';

const METHODS: Record<NotificationMethodName, NotificationMethod> = {
  webhook: webhookMethod,
  email: emailMethod,
  slack: slackMethod,
  quay_notification: quayNotificationMethod,
};

/** The delivery method of this name; undefined for any other name. */
export function notificationMethod(name: string): NotificationMethod | undefined {
  return isNotificationMethodName(name) ? METHODS[name] : undefined;
}
