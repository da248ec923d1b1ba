import { mayReceiveRepositoryMail } from '../auth/authorize.js';
import { Invalid } from '../errors.js';
import { mailingConfigured } from '../mail/mailer.js';
import { usersWithEmail } from '../model/notifications.js';
import { findRepository, type RepositoryWithNamespace } from '../model/repositories.js';
import { validateEmail } from '../model/users.js';
import { escapeHtml, eventMessage } from './message.js';
import { DeliveryFailed, type MethodDeps, type NotificationMethod } from './method.js';

/**
 * E-mail: sends the event's summary and details to `config.email` through the MAIL_* server. Needs
 * FEATURE_MAILING and MAIL_SERVER, and an address (any letter case) of an enabled user who holds a
 * role on the repository (mayReceiveRepositoryMail), checked when the notification is created and
 * again before each delivery, so mail stops once that user loses access.
 */

function address(config: Record<string, unknown>): string {
  return typeof config['email'] === 'string' ? config['email'].trim() : '';
}

/** Whether some enabled user with address `email` may receive mail about `repository`. */
async function addressMayReceive(deps: MethodDeps, repository: RepositoryWithNamespace, email: string): Promise<boolean> {
  for (const user of await usersWithEmail(deps.db, email)) {
    if (await mayReceiveRepositoryMail(deps, user, repository)) return true;
  }
  return false;
}

export const emailMethod: NotificationMethod = {
  name: 'email',

  async validate(deps, repository, config) {
    if (!mailingConfigured(deps.config)) throw new Invalid('input', 'E-mail notifications need mailing to be configured on this registry');
    const email = address(config);
    if (!email) throw new Invalid('input', 'Missing e-mail address');
    validateEmail(email);
    // The same answer whether or not the address is registered: it must not reveal accounts.
    if (!(await addressMayReceive(deps, repository, email))) {
      throw new Invalid('input', 'The e-mail address must belong to a user with access to this repository');
    }
  },

  async deliver(deps, delivery) {
    const { notification } = delivery;
    const email = address(notification.config);
    if (!email) throw new DeliveryFailed('the notification has no e-mail address');
    const repository = await findRepository(deps.db, { namespace: notification.namespaceName, name: notification.repositoryName });
    if (!repository || !(await addressMayReceive(deps, repository, email))) {
      throw new DeliveryFailed(
        `e-mail notification ${notification.uuid} not sent: its address no longer belongs to a user with access to ${notification.namespaceName}/${notification.repositoryName}`,
      );
    }
    const message = eventMessage(delivery.event, delivery.eventData);
    const title = notification.title;
    const intro = `Repository ${notification.namespaceName}/${notification.repositoryName}${title ? ` (notification "${title}")` : ''}:`;
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
