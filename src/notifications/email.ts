import { mayReceiveRepositoryMail } from '../auth/authorize.js';
import { Invalid } from '../errors.js';
import { mailingConfigured } from '../mail/mailer.js';
import { usersWithEmail } from '../model/notifications.js';
import { isSuperuser, validateEmail } from '../model/users.js';
import { escapeHtml, eventMessage } from './message.js';
import { DeliveryFailed, type NotificationMethod } from './method.js';

/**
 * E-mail: sends the event's summary and details to `config.email` through the MAIL_* server. Needs
 * FEATURE_MAILING and MAIL_SERVER, and an address that belongs to a user who may read the repository.
 */

function address(config: Record<string, unknown>): string {
  return typeof config['email'] === 'string' ? config['email'].trim() : '';
}

export const emailMethod: NotificationMethod = {
  name: 'email',

  async validate(deps, repository, config) {
    if (!mailingConfigured(deps.config)) throw new Invalid('input', 'E-mail notifications need mailing to be configured on this registry');
    const email = address(config);
    if (!email) throw new Invalid('input', 'Missing e-mail address');
    validateEmail(email);
    for (const user of await usersWithEmail(deps.db, email)) {
      const account = { id: user.id, name: user.name, superuser: isSuperuser(deps.config, user) };
      if (await mayReceiveRepositoryMail(deps, account, repository)) return;
    }
    throw new Invalid(
      'input',
      'The specified e-mail address is not authorized to receive notifications for this repository: it must belong to a user who can read it',
    );
  },

  async deliver(deps, delivery) {
    const email = address(delivery.notification.config);
    if (!email) throw new DeliveryFailed('the notification has no e-mail address');
    const message = eventMessage(delivery.event, delivery.eventData);
    const title = delivery.notification.title;
    const intro = `Repository ${delivery.notification.namespaceName}/${delivery.notification.repositoryName}${title ? ` (notification "${title}")` : ''}:`;
    const link = message.homepage ? [`Open the repository: ${message.homepage}`] : [];
    const text = [intro, '', message.summary, ...message.lines, '', ...link].join('\n');
    const html = [
      `<p>${escapeHtml(intro)}</p>`,
      `<p><strong>${escapeHtml(message.summary)}</strong></p>`,
      ...message.lines.map((line) => `<p>${escapeHtml(line)}</p>`),
      ...(message.homepage ? [`<p><a href="${escapeHtml(message.homepage)}">Open the repository</a></p>`] : []),
    ].join('\n');
    try {
      await deps.mailer.send({ to: email, subject: message.summary, text, html });
    } catch {
      throw new DeliveryFailed('the notification e-mail could not be sent (mail server unreachable, refused, or mailing off)');
    }
  },
};
