import { Type as T } from '@sinclair/typebox';
import { authorizeOwnAccount } from '../auth/authorize.js';
import type { SecretBox } from '../auth/secret-box.js';
import type { QuaysideConfig } from '../config/load.js';
import { NotFound } from '../errors.js';
import {
  type AppToken,
  createAppToken,
  getAppToken,
  listAppTokens,
  listExpiringAppTokens,
  revealAppToken,
  revokeAppToken,
} from '../model/app-tokens.js';
import { formatQuayDate } from '../model/quay-date.js';
import { parseDurationSeconds } from '../model/users.js';
import type { ApiRouter } from './router.js';
import { requireFreshLogin } from './session.js';
import { logApiAction } from './usage-log.js';

/**
 * Application-specific tokens of the signed-in user (Quay's endpoints/api/appspecifictokens.py):
 * passwords for one tool each, used as `docker login -u '$app' -p <token_code>`. The whole token
 * is shown to its owner on creation and on GET of one token, never in the list. As in Quay,
 * creating, reading and revoking one token need a fresh login when done with a session.
 */

const TAG = 'appspecifictokens';

/** The lifetime assumed when APP_SPECIFIC_TOKEN_EXPIRATION is unset (4 weeks), of which the expiring window is a share. */
const ASSUMED_TOKEN_LIFETIME_S = 4 * 7 * 86_400;
/** "Expiring soon" means within this share of the configured token lifetime. */
const EXPIRING_SHARE_OF_LIFETIME = 0.1;

interface AppTokenView {
  uuid: string;
  title: string;
  last_accessed: string | null;
  created: string | null;
  expiration: string | null;
  token_code?: string;
}

function appTokenView(row: AppToken, secrets?: SecretBox): AppTokenView {
  const view: AppTokenView = {
    uuid: row.uuid,
    title: row.title,
    last_accessed: formatQuayDate(row.last_accessed),
    created: formatQuayDate(row.created_at),
    expiration: formatQuayDate(row.expires_at),
  };
  if (secrets) view.token_code = revealAppToken(secrets, row);
  return view;
}

/** Quay hides these endpoints entirely when FEATURE_APP_SPECIFIC_TOKENS is off. */
function requireFeature(config: QuaysideConfig): void {
  if (!config.FEATURE_APP_SPECIFIC_TOKENS) throw new NotFound('token', 'application-specific tokens are disabled');
}

function tokenLifetimeS(config: QuaysideConfig): number | null {
  const configured = config.APP_SPECIFIC_TOKEN_EXPIRATION;
  return configured ? parseDurationSeconds(configured) : null;
}

function expiringWindowMs(config: QuaysideConfig): number {
  const lifetimeS = tokenLifetimeS(config) ?? ASSUMED_TOKEN_LIFETIME_S;
  return Math.max(1, Math.ceil(lifetimeS * EXPIRING_SHARE_OF_LIFETIME)) * 1000;
}

export function registerAppTokensRoutes(router: ApiRouter): void {
  router.add({
    method: 'GET',
    path: '/api/v1/user/apptoken',
    summary: 'Lists the application-specific tokens of the signed-in user.',
    tag: TAG,
    query: T.Object({ expiring: T.Optional(T.Boolean()) }),
    async handler({ ctx, actor, query }) {
      requireFeature(ctx.config);
      const user = authorizeOwnAccount(actor, 'user:admin');
      const expiring = query.expiring === true;
      const rows = expiring
        ? await listExpiringAppTokens(ctx.db, user.id, expiringWindowMs(ctx.config))
        : await listAppTokens(ctx.db, user.id);
      return { tokens: rows.map((row) => appTokenView(row)), only_expiring: expiring };
    },
  });

  router.add({
    method: 'POST',
    path: '/api/v1/user/apptoken',
    summary: 'Creates an application-specific token for the signed-in user.',
    tag: TAG,
    body: T.Object({ title: T.String() }),
    async handler(call) {
      const { ctx, actor, body } = call;
      requireFeature(ctx.config);
      const user = authorizeOwnAccount(actor, 'user:admin');
      await requireFreshLogin(call);
      const { row } = await createAppToken(ctx.db, ctx.secrets, {
        userId: user.id,
        title: body.title,
        expiresInS: tokenLifetimeS(ctx.config),
      });
      await logApiAction(call, {
        kind: 'create_app_specific_token',
        namespaceId: user.id,
        metadata: { app_specific_token_title: row.title, app_specific_token: row.uuid },
      });
      return { token: appTokenView(row, ctx.secrets) };
    },
  });

  router.add({
    method: 'GET',
    path: '/api/v1/user/apptoken/{token_uuid}',
    summary: 'Returns one application-specific token of the signed-in user, including its code.',
    tag: TAG,
    async handler(call) {
      const { ctx, actor, params } = call;
      requireFeature(ctx.config);
      const user = authorizeOwnAccount(actor, 'user:admin');
      await requireFreshLogin(call);
      const row = await getAppToken(ctx.db, user.id, params['token_uuid']!);
      return { token: appTokenView(row, ctx.secrets) };
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/user/apptoken/{token_uuid}',
    summary: 'Revokes an application-specific token of the signed-in user.',
    tag: TAG,
    status: 204,
    async handler(call) {
      const { ctx, actor, params } = call;
      requireFeature(ctx.config);
      const user = authorizeOwnAccount(actor, 'user:admin');
      await requireFreshLogin(call);
      const token = await getAppToken(ctx.db, user.id, params['token_uuid']!);
      await revokeAppToken(ctx.db, user.id, token.uuid);
      await logApiAction(call, {
        kind: 'revoke_app_specific_token',
        namespaceId: user.id,
        metadata: { app_specific_token_title: token.title, app_specific_token: token.uuid },
      });
      return undefined;
    },
  });
}
