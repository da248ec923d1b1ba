import { Invalid } from '../errors.js';
import { allowedOutboundUrl } from '../net/outbound-url.js';
import type { EventLevel } from './events.js';
import { postJson } from './http-post.js';
import { eventMessage } from './message.js';
import { DeliveryFailed, type NotificationMethod } from './method.js';

/**
 * Slack: POSTs a message to the incoming-webhook URL in `config.url`, in Slack's message format
 * (text plus one coloured attachment with the details in Slack's mrkdwn). The URL passes the outbound
 * check (src/net) when the notification is created and again at delivery time, where the address
 * connected to is checked too.
 */

/** Slack attachment colours for Quay's event levels. */
const LEVEL_COLORS: Record<EventLevel, string> = {
  info: '#ffffff',
  warning: 'warning',
  error: 'danger',
  success: 'good',
  primary: 'good',
};

/** Slack mrkdwn treats &, < and > as control characters. */
function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export const slackMethod: NotificationMethod = {
  name: 'slack',

  async validate(deps, _repository, config) {
    if (config['url'] === undefined || config['url'] === '') throw new Invalid('input', 'Missing Slack Callback URL');
    if (!allowedOutboundUrl(deps.config, config['url'])) throw new Invalid('input', 'Invalid Slack Callback URL');
  },

  async deliver(deps, delivery) {
    const url = allowedOutboundUrl(deps.config, delivery.notification.config['url']);
    if (!url) throw new DeliveryFailed('the Slack URL is missing or its host is not allowed (WEBHOOK_HOSTNAME_BLACKLIST, SSRF_ALLOWED_HOSTS)');
    const message = eventMessage(delivery.event, delivery.eventData);
    const repository = `${delivery.notification.namespaceName}/${delivery.notification.repositoryName}`;
    const lines = message.lines.map(escapeSlack);
    if (message.homepage) lines.push(`<${message.homepage}|${escapeSlack(repository)}>`);
    const payload = {
      text: escapeSlack(message.summary),
      username: 'quayside',
      attachments: [
        {
          fallback: message.summary,
          text: lines.join('\n'),
          color: LEVEL_COLORS[delivery.event.level(delivery.eventData)],
          mrkdwn_in: ['text'],
        },
      ],
    };
    await postJson(deps.config, url, payload, deps.config.NOTIFICATION_SEND_TIMEOUT, 'Slack message');
  },
};
