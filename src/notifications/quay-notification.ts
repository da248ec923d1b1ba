import type { Kysely } from 'kysely';
import type { Database } from '../db/tables.js';
import { Invalid } from '../errors.js';
import { findNamespace } from '../model/namespaces.js';
import { createUserNotifications } from '../model/notifications.js';
import { teamUserIds } from '../model/teams.js';
import { findTeam } from '../model/teams.js';
import { findUser } from '../model/users.js';
import { DeliveryFailed, type NotificationMethod } from './method.js';

/**
 * In-app notification (Quay's quay_notification): adds rows to the `notification` table, listed by
 * /api/v1/user/notifications, for `config.target`: a user, every user in a team of the
 * repository's organization, or the organization itself (its administrators see those).
 */

type TargetKind = 'user' | 'team' | 'org';

interface Target {
  kind: TargetKind;
  name: string;
}

function readTarget(config: Record<string, unknown>): Target | undefined {
  const target = config['target'];
  if (!target || typeof target !== 'object' || Array.isArray(target)) return undefined;
  const { kind, name } = target as Record<string, unknown>;
  if (kind !== 'user' && kind !== 'team' && kind !== 'org') return undefined;
  if (typeof name !== 'string' || name === '') return undefined;
  return { kind, name };
}

/** The accounts to notify; a string explaining why there are none when the target is unusable. */
async function resolveTarget(db: Kysely<Database>, namespaceName: string, target: Target): Promise<number[] | string> {
  switch (target.kind) {
    case 'user': {
      const user = await findUser(db, target.name);
      return user ? [user.id] : `Unknown user ${target.name}`;
    }
    case 'org': {
      const organization = await findNamespace(db, target.name);
      if (organization?.kind !== 'organization') return `Unknown organization ${target.name}`;
      // Only the repository's own organization may be told about it.
      if (organization.name !== namespaceName) return 'Organization name must match repository namespace';
      return [organization.id];
    }
    case 'team': {
      const organization = await findNamespace(db, namespaceName);
      const team = organization?.kind === 'organization' ? await findTeam(db, organization.id, target.name) : undefined;
      return team ? teamUserIds(db, team.id) : `Unknown team ${target.name}`;
    }
  }
}

export const quayNotificationMethod: NotificationMethod = {
  name: 'quay_notification',

  async validate(deps, repository, config) {
    const target = readTarget(config);
    if (!target) throw new Invalid('input', 'Missing target: config.target needs kind (user, team or org) and name');
    const resolved = await resolveTarget(deps.db, repository.namespace_name, target);
    if (typeof resolved === 'string') throw new Invalid('input', resolved);
  },

  async deliver(deps, delivery) {
    const target = readTarget(delivery.notification.config);
    if (!target) throw new DeliveryFailed('the notification has no target');
    const resolved = await resolveTarget(deps.db, delivery.notification.namespaceName, target);
    if (typeof resolved === 'string') throw new DeliveryFailed(resolved);
    await createUserNotifications(deps.db, delivery.event.name, resolved, delivery.eventData);
  },
};
