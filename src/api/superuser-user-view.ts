import { isSuperuserAccount } from '../auth/credentials.js';
import type { AppContext } from '../context.js';
import { avatarView } from '../model/avatars.js';
import type { Namespace } from '../model/namespaces.js';

/** Quay's superuser view of a user account (user management, service-key approvers). */
export async function managedUserView(ctx: AppContext, user: Namespace) {
  return {
    kind: 'user',
    name: user.name,
    username: user.name,
    email: user.email,
    verified: true,
    avatar: avatarView(user.name, user.email, 'user'),
    super_user: await isSuperuserAccount(ctx, user),
    enabled: user.enabled === 1,
  };
}
