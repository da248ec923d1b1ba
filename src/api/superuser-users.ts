import { Type as T } from '@sinclair/typebox';
import { authorizeManagedAccount } from '../auth/authorize.js';
import { randomText, UPPER_CASE_LETTERS_AND_DIGITS } from '../auth/random-text.js';
import type { AppContext } from '../context.js';
import { Invalid, NotFound } from '../errors.js';
import type { Namespace } from '../model/namespaces.js';
import { listNamespacesPage } from '../model/superuser-namespaces.js';
import {
  changeUserEmail,
  changeUserPassword,
  createUser,
  deleteUserAccount,
  findUser,
  setUserEnabled,
  validatePassword,
} from '../model/users.js';
import { namePageQuery, namePageRequest, withNextPage } from './name-paging.js';
import type { ApiRouter } from './router.js';
import { managedUserView } from './superuser-user-view.js';
import { superuserReading, superuserWriting } from './superuser-access.js';
import { logApiAction } from './usage-log.js';

/**
 * Superuser user management (Quay's endpoints/api/superuser.py): list, create, inspect, change,
 * disable and delete user accounts. Needs FEATURE_SUPER_USERS, a superuser (global read-only
 * superusers may list and inspect), the super:user scope for OAuth tokens, and (as in Quay) a
 * fresh login for sessions.
 *
 * `encrypted_password`, which Quay returns for its encrypted-CLI-password feature, is the password
 * sealed with DATABASE_SECRET_KEY. Quayside does not accept it as a credential: it is there so that
 * clients reading the field keep working.
 */

const GENERATED_PASSWORD_LENGTH = 32;

function generatePassword(): string {
  return randomText(GENERATED_PASSWORD_LENGTH, UPPER_CASE_LETTERS_AND_DIGITS);
}

async function managedUser(ctx: AppContext, username: string): Promise<Namespace> {
  const user = await findUser(ctx.db, username);
  if (!user) throw new NotFound('user', `user ${username} not found`);
  return user;
}

function refuseUnlessDatabaseAuth(ctx: AppContext, what: string): void {
  if (ctx.config.AUTHENTICATION_TYPE !== 'Database') throw new Invalid('input', `${what} is only possible when AUTHENTICATION_TYPE is Database`);
}

const ListQuery = T.Object({
  disabled: T.Boolean({ default: true, description: 'If false, only enabled users are listed.' }),
  ...namePageQuery('Users'),
});

const NewManagedUser = T.Object({
  username: T.String({ minLength: 1, maxLength: 255 }),
  email: T.Optional(T.String({ maxLength: 255 })),
});

const ManagedUserUpdate = T.Object({
  password: T.Optional(T.String({ minLength: 1, maxLength: 1024 })),
  email: T.Optional(T.String({ maxLength: 255 })),
  enabled: T.Optional(T.Boolean()),
  superuser: T.Optional(T.Boolean()),
});

export function registerSuperuserUserRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/superuser/users/',
    summary: 'List all user accounts (superusers and global read-only superusers).',
    tag: 'superuser',
    query: ListQuery,
    async handler(call) {
      await superuserReading(call, { freshLogin: true });
      const page = await listNamespacesPage(call.ctx.db, {
        kind: 'user',
        enabledOnly: !call.query.disabled,
        ...namePageRequest(call.query),
      });
      const users = await Promise.all(page.namespaces.map((u) => managedUserView(call.ctx, u)));
      return withNextPage({ users }, page.nextAfter);
    },
  });

  router.add({
    method: 'POST',
    path: '/api/v1/superuser/users/',
    summary: 'Create a user with a generated password (superusers only).',
    tag: 'superuser',
    body: NewManagedUser,
    async handler(call) {
      const { ctx, body } = call;
      const superuser = await superuserWriting(call);
      refuseUnlessDatabaseAuth(ctx, 'creating users');
      const email = body.email === '' ? undefined : body.email;
      const password = generatePassword();
      const user = await createUser(ctx.db, ctx.config, { name: body.username, password, email });
      await logApiAction(call, {
        kind: 'user_create',
        namespaceId: user.id,
        metadata: { email: email ?? null, username: user.name, superuser: superuser.name },
      });
      // The one response that carries a password: the superuser passes it on to the new user.
      return { username: body.username, email: email ?? null, password, encrypted_password: ctx.secrets.seal(password) };
    },
  });

  router.add({
    method: 'GET',
    path: '/api/v1/superuser/users/{username}',
    summary: 'Get a user account (superusers and global read-only superusers).',
    tag: 'superuser',
    async handler(call) {
      await superuserReading(call, { freshLogin: true });
      return await managedUserView(call.ctx, await managedUser(call.ctx, call.params['username'] ?? ''));
    },
  });

  router.add({
    method: 'PUT',
    path: '/api/v1/superuser/users/{username}',
    summary: "Change a user's password or e-mail address, or enable or disable it (superusers only).",
    tag: 'superuser',
    body: ManagedUserUpdate,
    async handler(call) {
      const { ctx, body } = call;
      const superuser = (await superuserWriting(call)).name;
      const user = await managedUser(ctx, call.params['username'] ?? '');
      await authorizeManagedAccount(ctx, user, 'superuser accounts cannot be changed here');
      if (body.superuser !== undefined) {
        throw new Invalid('input', 'superusers are set in config.yaml (SUPER_USERS) or with `quayside user create --superuser`');
      }
      if (body.password !== undefined) {
        refuseUnlessDatabaseAuth(ctx, 'setting passwords');
        validatePassword(body.password);
      }
      if (body.email !== undefined) {
        refuseUnlessDatabaseAuth(ctx, 'changing e-mail addresses');
        if (body.email !== user.email) {
          await changeUserEmail(ctx.db, user.id, body.email);
          await logApiAction(call, {
            kind: 'user_change_email',
            namespaceId: user.id,
            metadata: { old_email: user.email, email: body.email, superuser },
          });
        }
      }
      if (body.enabled !== undefined) {
        await setUserEnabled(ctx.db, user.id, body.enabled);
        await logApiAction(call, {
          kind: body.enabled ? 'user_enable' : 'user_disable',
          namespaceId: user.id,
          metadata: { username: user.name, superuser },
        });
      }
      if (body.password !== undefined) {
        await changeUserPassword(ctx.db, user.id, body.password);
        await logApiAction(call, {
          kind: 'user_change_password',
          namespaceId: user.id,
          metadata: { username: user.name, superuser },
        });
      }
      const view: Record<string, unknown> = await managedUserView(ctx, await managedUser(ctx, user.name));
      if (body.password !== undefined) view['encrypted_password'] = ctx.secrets.seal(body.password);
      return view;
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/superuser/users/{username}',
    summary: 'Delete a user account; its namespace is cleaned up in the background (superusers only).',
    tag: 'superuser',
    async handler(call) {
      await superuserWriting(call);
      const user = await managedUser(call.ctx, call.params['username'] ?? '');
      await authorizeManagedAccount(call.ctx, user, 'superuser accounts cannot be deleted');
      await deleteUserAccount(call.ctx.db, user.id);
      await logApiAction(call, { kind: 'user_delete', namespaceId: user.id, metadata: { username: user.name } });
      return undefined;
    },
  });
}
