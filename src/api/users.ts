import { Type as T } from '@sinclair/typebox';
import {
  actsAsAccount,
  actsAsSuperuser,
  authorizeOwnAccount,
  organizationRole,
  repositoryCreation,
} from '../auth/authorize.js';
import { userPrincipal } from '../auth/credentials.js';
import type { Identity } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { Denied, Invalid, NotFound, Unauthorized } from '../errors.js';
import { avatarView } from '../model/avatars.js';
import type { Namespace } from '../model/namespaces.js';
import {
  changeTagExpiration,
  changeUserEmail,
  changeUserPassword,
  createInvitedUser,
  deleteUserAccount,
  findUser,
  findUserById,
  listFederatedLogins,
  listUserOrganizations,
  requestedTagExpiration,
  validateEmail,
  validatePassword,
} from '../model/users.js';
import type { ApiActor } from './authenticate.js';
import type { ApiRouter } from './router.js';
import { endSession, requireFreshLogin, registerSessionRoutes, startSession } from './session.js';
import { registerSuperuserUserRoutes } from './superuser-users.js';
import { logApiAction } from './usage-log.js';
import { listNamespaceQuotas } from '../model/quota.js';
import { namespaceQuotaReport, quotaApiEnabled } from '../model/quota-report.js';
import { embeddedQuotaView } from './quota-views.js';

/**
 * The signed-in user's own account (Quay's endpoints/api/user.py): GET/POST/PUT/DELETE
 * /api/v1/user/ and the public view GET /api/v1/users/{username}. Sign-in and superuser user
 * management live in session.ts and superuser-users.ts.
 */

async function organizationView(ctx: AppContext, actor: Identity, organization: Namespace, withAdminFields: boolean) {
  const view: Record<string, unknown> = {
    name: organization.name,
    avatar: avatarView(organization.name, organization.email, 'org'),
    can_create_repo: (await repositoryCreation(ctx, actor, organization.name)) === 'allowed',
    public: false,
  };
  if (withAdminFields) {
    view['is_org_admin'] = (await organizationRole(ctx, actor, organization)) === 'admin';
    view['preferred_namespace'] = false;
  }
  return view;
}

async function privateFields(ctx: AppContext, user: Namespace) {
  const logins = await listFederatedLogins(ctx.db, user.id);
  return {
    can_create_repo: true,
    is_me: true,
    // Without mail there is nothing to confirm: addresses count as verified, as in Quay.
    verified: true,
    email: user.email,
    logins: logins.map((l) => ({ service: l.service, service_identifier: l.serviceIdent, metadata: l.metadata })),
    invoice_email: false,
    invoice_email_address: null,
    preferred_namespace: false,
    tag_expiration_s: user.removed_tag_expiration_s,
    prompts: [],
    company: null,
    family_name: null,
    given_name: null,
    location: null,
    is_free_account: true,
    has_password_set: user.password_hash !== null,
  };
}

/**
 * Quay's user view: the name and avatar for anyone; the account's private details and its
 * organizations for the user themselves (organizations with user:read, the rest with user:admin);
 * `super_user` only when a superuser is looking.
 */
async function userView(ctx: AppContext, actor: Identity, user: Namespace): Promise<Record<string, unknown>> {
  const view: Record<string, unknown> = {
    anonymous: false,
    username: user.name,
    avatar: avatarView(user.name, user.email, 'user'),
  };
  const isAdmin = actsAsAccount(actor, user.id, 'user:admin');
  if (isAdmin) Object.assign(view, await privateFields(ctx, user));
  if (isAdmin && quotaApiEnabled(ctx.config)) {
    view['quotas'] = (await listNamespaceQuotas(ctx.db, user.id)).map(embeddedQuotaView);
    view['quota_report'] = await namespaceQuotaReport(ctx.db, ctx.config, user.id);
  }
  if (actsAsAccount(actor, user.id, 'user:read')) {
    const organizations = await listUserOrganizations(ctx.db, user.id);
    view['organizations'] = await Promise.all(organizations.map((o) => organizationView(ctx, actor, o, isAdmin)));
  }
  if (ctx.config.FEATURE_SUPER_USERS && actsAsSuperuser(actor)) {
    view['super_user'] = actor.principal.kind === 'user' && actor.principal.id === user.id;
  }
  return view;
}

/** The signed-in user's own account row. */
async function ownAccount(ctx: AppContext, actor: ApiActor, needed: 'user:read' | 'user:admin'): Promise<Namespace> {
  const me = authorizeOwnAccount(actor, needed);
  const user = await findUserById(ctx.db, me.id);
  if (!user) throw new Unauthorized('this account no longer exists');
  return user;
}

function refuseUnlessSelfServiceCreation(ctx: AppContext): void {
  if (!ctx.config.FEATURE_USER_CREATION) throw new Denied('user creation is disabled (FEATURE_USER_CREATION)');
  if (ctx.config.AUTHENTICATION_TYPE !== 'Database') {
    throw new Denied(`accounts come from the ${ctx.config.AUTHENTICATION_TYPE} directory and cannot be created here`);
  }
}

const NewUser = T.Object({
  username: T.String({ minLength: 1, maxLength: 255 }),
  password: T.String({ minLength: 1, maxLength: 1024 }),
  email: T.Optional(T.String({ maxLength: 255 })),
  invite_code: T.Optional(T.String({ maxLength: 255 })),
  recaptcha_response: T.Optional(T.String()),
});

const UpdateUser = T.Object({
  password: T.Optional(T.String({ minLength: 1, maxLength: 1024 })),
  email: T.Optional(T.String({ maxLength: 255 })),
  tag_expiration_s: T.Optional(T.Integer({ minimum: 0 })),
});

function registerAccountRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/user/',
    summary: 'Get the signed-in user.',
    tag: 'user',
    async handler({ ctx, actor }) {
      return userView(ctx, actor, await ownAccount(ctx, actor, 'user:read'));
    },
  });

  router.add({
    method: 'POST',
    path: '/api/v1/user/',
    invalidSessionIsAnonymous: true,
    summary: 'Create an account (FEATURE_USER_CREATION) and sign it in.',
    tag: 'user',
    body: NewUser,
    internal: true,
    async handler(call) {
      const { ctx, body } = call;
      refuseUnlessSelfServiceCreation(ctx);
      const email = body.email === '' ? undefined : body.email;
      if (ctx.config.FEATURE_MAILING && email === undefined) {
        throw new Invalid('input', 'an e-mail address is required to create an account');
      }
      if (await findUser(ctx.db, body.username)) throw new Invalid('input', `the name "${body.username}" is already taken`);
      const user = await createInvitedUser(
        ctx.db,
        ctx.config,
        { name: body.username, password: body.password, email },
        { token: body.invite_code || undefined, required: ctx.config.FEATURE_INVITE_ONLY_USER_CREATION },
      );
      await startSession(call, user.id);
      // The new account is the performer: the request had no signed-in user.
      await logApiAction(call, {
        kind: 'user_create',
        namespaceId: user.id,
        performerId: user.id,
        metadata: { email: email ?? null, username: user.name },
      });
      return userView(ctx, { principal: userPrincipal(ctx.config, user) }, user);
    },
  });

  router.add({
    method: 'PUT',
    path: '/api/v1/user/',
    summary: "Change the signed-in user's password, e-mail address or tag expiration window.",
    tag: 'user',
    body: UpdateUser,
    internal: true,
    async handler(call) {
      const { ctx, actor, body } = call;
      const user = await ownAccount(ctx, actor, 'user:admin');
      await requireFreshLogin(call);
      // Checked up front so that bad input does not leave the other changes half applied.
      if (body.email !== undefined) validateEmail(body.email);
      if (body.password !== undefined) {
        if (ctx.config.AUTHENTICATION_TYPE !== 'Database') {
          throw new Invalid('input', `passwords of ${ctx.config.AUTHENTICATION_TYPE} accounts are changed in the directory`);
        }
        validatePassword(body.password);
      }
      const tagExpirationS = requestedTagExpiration(ctx.config, body.tag_expiration_s);
      // The e-mail change is the one write that can still be refused (address taken): it goes first.
      if (body.email !== undefined && body.email !== user.email) {
        await changeUserEmail(ctx.db, user.id, body.email);
        await logApiAction(call, {
          kind: 'user_change_email',
          namespaceId: user.id,
          metadata: { email: body.email, old_email: user.email },
        });
      }
      if (tagExpirationS !== undefined) {
        await changeTagExpiration(ctx.db, ctx.config, user.id, tagExpirationS);
        await logApiAction(call, {
          kind: 'user_change_tag_expiration',
          namespaceId: user.id,
          metadata: { tag_expiration: tagExpirationS },
        });
      }
      if (body.password !== undefined) {
        await changeUserPassword(ctx.db, user.id, body.password, actor.session?.id);
        await logApiAction(call, { kind: 'account_change_password', namespaceId: user.id });
      }
      return userView(ctx, actor, await ownAccount(ctx, actor, 'user:admin'));
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/user/',
    summary: "Delete the signed-in user's account; its namespace is cleaned up in the background.",
    tag: 'user',
    internal: true,
    async handler(call) {
      const { ctx, actor } = call;
      const user = await ownAccount(ctx, actor, 'user:admin');
      await requireFreshLogin(call);
      if (ctx.config.AUTHENTICATION_TYPE !== 'Database') {
        throw new Denied(`accounts come from the ${ctx.config.AUTHENTICATION_TYPE} directory and cannot be deleted here`);
      }
      await deleteUserAccount(ctx.db, user.id);
      await logApiAction(call, { kind: 'user_delete', namespaceId: user.id, metadata: { username: user.name } });
      if (actor.session) await endSession(call);
      return undefined;
    },
  });

  router.add({
    method: 'GET',
    path: '/api/v1/users/{username}',
    summary: 'Get the public view of a user.',
    tag: 'user',
    async handler({ ctx, actor, params }) {
      if (actor.principal.kind === 'anonymous' && !ctx.config.FEATURE_ANONYMOUS_ACCESS) {
        throw new Unauthorized('sign in to look up user accounts');
      }
      const user = await findUser(ctx.db, params['username'] ?? '');
      if (!user) throw new NotFound('user', `user ${params['username']} not found`);
      return userView(ctx, actor, user);
    },
  });
}

/** Registers the account, session and superuser user-management routes. */
export function registerUsersRoutes(router: ApiRouter): void {
  registerAccountRoutes(router);
  registerSessionRoutes(router);
  registerSuperuserUserRoutes(router);
}
