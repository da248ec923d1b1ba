import { Invalid } from '../errors.js';
import { allowedOutboundUrl } from '../net/outbound-url.js';
import { postJson } from './http-post.js';
import { applyJsonTemplate, parseJsonTemplate } from './json-template.js';
import { DeliveryFailed, type NotificationMethod } from './method.js';

/**
 * Webhook: POSTs the event's payload (Quay's event_data) as JSON to `config.url`, or what the
 * optional `config.template` makes of it. The URL passes the outbound check (src/net) when the
 * notification is created and again at delivery time, where the address connected to is checked too.
 */

/** The template text, or undefined when none is set. */
function templateText(config: Record<string, unknown>): string | undefined {
  const template = config['template'];
  if (template === undefined || template === null || template === '') return undefined;
  if (typeof template !== 'string') throw new Invalid('input', 'Invalid webhook template: it must be a string of JSON');
  return template;
}

export const webhookMethod: NotificationMethod = {
  name: 'webhook',

  async validate(deps, _repository, config) {
    if (config['url'] === undefined || config['url'] === '') throw new Invalid('input', 'Missing webhook URL');
    if (!allowedOutboundUrl(deps.config, config['url'])) throw new Invalid('input', 'Invalid webhook URL');
    const template = templateText(config);
    if (template !== undefined) parseJsonTemplate(template);
  },

  async deliver(deps, delivery) {
    const { config } = delivery.notification;
    const url = allowedOutboundUrl(deps.config, config['url']);
    if (!url) throw new DeliveryFailed('the webhook URL is missing or its host is not allowed (WEBHOOK_HOSTNAME_BLACKLIST, SSRF_ALLOWED_HOSTS)');
    let payload: unknown = delivery.eventData;
    try {
      const template = templateText(config);
      if (template !== undefined) payload = applyJsonTemplate(parseJsonTemplate(template), delivery.eventData);
    } catch {
      throw new DeliveryFailed('the webhook template cannot be applied');
    }
    await postJson(deps.config, url, payload, deps.config.NOTIFICATION_SEND_TIMEOUT, 'webhook');
  },
};
