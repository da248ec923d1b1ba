import { Type as T } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  authorizeOwnAccount,
  authorizeScopeGrant,
  isOAuthScope,
  OAUTH_SCOPES,
  type OAuthScope,
} from '../auth/authorize.js';
import type { AppContext } from '../context.js';
import { Invalid } from '../errors.js';
import { type AvatarView, avatarView } from '../model/avatars.js';
import {
  createAccessToken,
  findApplicationByClientId,
  getUserAuthorization,
  listUserAuthorizations,
  type OAuthApplication,
  revokeUserAuthorization,
  type UserAuthorization,
} from '../model/oauth-tokens.js';
import { apiBaseUrl, apiErrorBody } from './errors.js';
import type { ApiRouter } from './router.js';
import { logApiAction } from './usage-log.js';

/**
 * OAuth access tokens with chosen scopes, as Quay's "Generate Token" issues them: the implicit
 * grant (RFC 6749 section 4.2) at POST /oauth/authorizeapp, made by a signed-in user for an
 * application any organization registered. Also the user's list of tokens granted so far
 * (/api/v1/user/authorizations), where each can be revoked.
 *
 * The endpoint goes through the API router, so it is authenticated like the API: a session cookie
 * (with the X-CSRF-Token header on this POST) or an OAuth token that holds user:admin and every
 * scope it passes on.
 *
 * Where the token goes:
 * - `redirect_uri` given: it must be the registered redirect URI or extend it (at a path, query or
 *   `&` boundary, so `https://app.example` does not cover `https://app.example.evil.test`), or be
 *   this registry's own LOCAL_OAUTH_HANDLER_PATH page. Answer: 302 to
 *   `<redirect_uri>#access_token=…&token_type=Bearer&expires_in=…&scope=…[&state=…]`.
 * - `redirect_uri` left out, the application has one registered: 302 to the registered one.
 * - `redirect_uri` left out, none registered, and the request accepts application/json: the token
 *   comes back in the response body `{access_token, token_type, expires_in, scope}`. The CSRF rule
 *   (or the bearer token) guarantees the caller is the user, so nothing leaks to a third party.
 * Errors are 400 Quay error documents that also carry OAuth's `error` code (invalid_request,
 * unauthorized_client, unsupported_response_type, invalid_scope); nothing is redirected.
 */

/** Tokens from the implicit grant last as long as Quay's (DatabaseAuthorizationProvider): ten years. */
export const IMPLICIT_GRANT_TOKEN_LIFETIME_S = Math.floor(10 * 365.25 * 86_400);
/** Quay's LOCAL_OAUTH_HANDLER: the registry's own page that shows a generated token to the user. */
const LOCAL_OAUTH_HANDLER_PATH = '/oauth/localapp';

const MAX_SCOPE_TEXT_LENGTH = 1024;
const MAX_REDIRECT_URI_LENGTH = 2048;
const MAX_STATE_LENGTH = 1024;
const TOKEN_TYPE = 'Bearer';

type OAuthErrorCode = 'invalid_request' | 'unauthorized_client' | 'unsupported_response_type' | 'invalid_scope';

/** A refused authorization request; reported as 400 with OAuth's error code. */
class OAuthRequestError extends Invalid {
  constructor(
    readonly code: OAuthErrorCode,
    message: string,
  ) {
    super('input', message);
  }
}

interface ScopeInformation {
  scope: OAuthScope;
  title: string;
  description: string;
  dangerous: boolean;
}

const SCOPE_INFORMATION: Record<OAuthScope, Omit<ScopeInformation, 'scope'>> = {
  'repo:read': {
    title: 'Read repositories',
    description: 'Pull and view every repository the user can read.',
    dangerous: false,
  },
  'repo:write': {
    title: 'Read and write repositories',
    description: 'Pull, push and view every repository the user can write to.',
    dangerous: false,
  },
  'repo:admin': {
    title: 'Administer repositories',
    description:
      'Full control of every repository the user administers, including permissions and deletion.',
    dangerous: false,
  },
  'repo:create': {
    title: 'Create repositories',
    description: 'Create new repositories in any namespace where the user may create them.',
    dangerous: false,
  },
  'user:read': {
    title: 'Read account information',
    description: 'See the user account, such as its name and e-mail address.',
    dangerous: false,
  },
  'user:admin': {
    title: 'Administer the account',
    description:
      'Manage the user account: robots, tokens, settings and repository permissions. ' +
      'Grant only to fully trusted applications.',
    dangerous: true,
  },
  'org:admin': {
    title: 'Administer organizations',
    description:
      'Manage the organizations the user administers: teams, members, robots and settings. ' +
      'Grant only to fully trusted applications.',
    dangerous: true,
  },
  'super:user': {
    title: 'Superuser access',
    description:
      'Act as a superuser of this registry: manage every user and organization. ' +
      'Grant only to fully trusted applications.',
    dangerous: true,
  },
};

/** The scopes of a space- or comma-separated scope string, in canonical order; every one must be a Quay scope. */
function parseOAuthScopes(text: string | undefined): OAuthScope[] {
  if (text === undefined || text.trim() === '') throw new OAuthRequestError('invalid_scope', 'no scope was requested');
  if (text.length > MAX_SCOPE_TEXT_LENGTH) throw new OAuthRequestError('invalid_scope', 'the scope parameter is too long');
  const requested = text.split(/[\s,]+/).filter((piece) => piece.length > 0);
  const unknown = requested.filter((piece) => !isOAuthScope(piece));
  if (unknown.length > 0) {
    const shown = unknown.slice(0, 3).map((piece) => JSON.stringify(piece.slice(0, 40)));
    const message = `unknown scope ${shown.join(', ')}; valid scopes are ${OAUTH_SCOPES.join(', ')}`;
    throw new OAuthRequestError('invalid_scope', message);
  }
  return OAUTH_SCOPES.filter((scope) => requested.includes(scope));
}

function scopeInformation(scopeText: string): ScopeInformation[] {
  const held = scopeText.split(' ');
  return OAUTH_SCOPES.filter((scope) => held.includes(scope)).map((scope) => ({
    scope,
    ...SCOPE_INFORMATION[scope],
  }));
}

// ---- the implicit grant ------------------------------------------------------------------------

const AuthorizeAppBody = T.Object({
  client_id: T.Optional(T.String()),
  redirect_uri: T.Optional(T.String()),
  scope: T.Optional(T.String()),
  response_type: T.Optional(T.String()),
  state: T.Optional(T.String()),
});

type TokenDestination = { kind: 'redirect'; uri: string } | { kind: 'body' };

/** Whether `requested` is `registered` or continues it at a path, query or parameter boundary. */
function extendsRegisteredUri(registered: string, requested: string): boolean {
  if (registered === '' || !requested.startsWith(registered)) return false;
  if (requested.length === registered.length || /[/?&]$/.test(registered)) return true;
  return '/?&'.includes(requested.charAt(registered.length));
}

/** Printable ASCII: the URI becomes a Location header exactly as given. */
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

function validRedirectUri(text: string): string {
  if (text.length > MAX_REDIRECT_URI_LENGTH) throw new OAuthRequestError('invalid_request', 'redirect_uri is too long');
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new OAuthRequestError('invalid_request', 'redirect_uri must be an absolute URL');
  }
  const web = parsed.protocol === 'http:' || parsed.protocol === 'https:';
  if (!web || !PRINTABLE_ASCII.test(text) || text.includes('#')) {
    throw new OAuthRequestError(
      'invalid_request',
      'redirect_uri must be an http(s) URL in printable ASCII, without a fragment',
    );
  }
  return text;
}

function tokenDestination(
  ctx: AppContext,
  request: FastifyRequest,
  application: OAuthApplication,
  requested: string | undefined,
): TokenDestination {
  if (requested !== undefined && requested !== '') {
    const uri = validRedirectUri(requested);
    const localHandler = `${apiBaseUrl(ctx.config, request.headers.host)}${LOCAL_OAUTH_HANDLER_PATH}`;
    if (uri === localHandler || extendsRegisteredUri(application.redirect_uri, uri)) return { kind: 'redirect', uri };
    throw new OAuthRequestError(
      'invalid_request',
      "redirect_uri does not match the application's registered redirect URI",
    );
  }
  if (application.redirect_uri !== '') return { kind: 'redirect', uri: application.redirect_uri };
  if ((request.headers.accept ?? '').includes('application/json')) return { kind: 'body' };
  throw new OAuthRequestError(
    'invalid_request',
    'redirect_uri is required: the application has none registered (or ask with Accept: application/json)',
  );
}

async function applicationForClient(ctx: AppContext, clientId: string | undefined): Promise<OAuthApplication> {
  if (clientId === undefined || clientId === '') throw new OAuthRequestError('invalid_request', 'client_id is required');
  const application = clientId.length <= 255 ? await findApplicationByClientId(ctx.db, clientId) : undefined;
  if (!application) throw new OAuthRequestError('unauthorized_client', 'unknown client_id');
  return application;
}

function sendOAuthError(ctx: AppContext, reply: FastifyReply, error: OAuthRequestError): FastifyReply {
  const body = apiErrorBody(
    { status: 400, type: 'invalid_request', message: error.message },
    apiBaseUrl(ctx.config, reply.request.headers.host),
  );
  return reply
    .code(400)
    .type('application/json')
    .send({ ...body, error: error.code, error_description: error.message });
}

interface GrantedToken {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

function redirectWithToken(
  reply: FastifyReply,
  uri: string,
  token: GrantedToken,
  state: string | undefined,
): FastifyReply {
  const fragment = new URLSearchParams({
    access_token: token.access_token,
    token_type: token.token_type,
    expires_in: String(token.expires_in),
    scope: token.scope,
  });
  if (state) fragment.set('state', state);
  return reply.redirect(`${uri}#${fragment.toString()}`, 302);
}

// ---- the user's authorizations -----------------------------------------------------------------

interface ApplicationAvatar extends Omit<AvatarView, 'kind'> {
  kind: 'app';
}

function authorizationView(row: UserAuthorization) {
  const ownerKind = row.owner_kind === 'organization' ? 'org' : 'user';
  const applicationAvatar: ApplicationAvatar = {
    ...avatarView(row.application_name, row.application_avatar_email ?? row.owner_email, 'user'),
    kind: 'app',
  };
  return {
    uuid: row.uuid,
    application: {
      name: row.application_name,
      description: row.application_description,
      url: row.application_uri,
      clientId: row.client_id,
      avatar: applicationAvatar,
      organization: { name: row.owner_name, avatar: avatarView(row.owner_name, row.owner_email, ownerKind) },
    },
    scopes: scopeInformation(row.scope),
  };
}

export function registerOAuthRoutes(router: ApiRouter): void {
  router.add({
    method: 'POST',
    path: '/oauth/authorizeapp',
    summary: 'Grants an OAuth access token with the requested scopes to an application (implicit grant).',
    tag: 'oauth',
    internal: true,
    body: AuthorizeAppBody,
    async handler(call) {
      const { ctx, actor, body, request, reply } = call;
      authorizeOwnAccount(actor, 'user:admin');
      try {
        if (body.response_type !== 'token') {
          throw new OAuthRequestError('unsupported_response_type', 'response_type must be "token"');
        }
        if (body.state !== undefined && body.state.length > MAX_STATE_LENGTH) {
          throw new OAuthRequestError('invalid_request', 'state is too long');
        }
        const application = await applicationForClient(ctx, body.client_id);
        const destination = tokenDestination(ctx, request, application, body.redirect_uri);
        const scopes = parseOAuthScopes(body.scope);
        const user = authorizeScopeGrant(actor, scopes);
        const { token } = await createAccessToken(ctx.db, {
          applicationId: application.id,
          userId: user.id,
          scopes,
          expiresInS: IMPLICIT_GRANT_TOKEN_LIFETIME_S,
        });
        // Quay's entry for a token handed out, in the logs of the application's owner.
        await logApiAction(call, {
          kind: 'oauth_token_assigned',
          namespaceId: application.namespace_id,
          metadata: {
            assigning_user: user.name,
            assigned_user: user.name,
            application: application.name,
            client_id: application.client_id,
            scope: scopes.join(' '),
          },
        });
        const granted: GrantedToken = {
          access_token: token,
          token_type: TOKEN_TYPE,
          expires_in: IMPLICIT_GRANT_TOKEN_LIFETIME_S,
          scope: scopes.join(' '),
        };
        reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
        if (destination.kind === 'body') return granted;
        return redirectWithToken(reply, destination.uri, granted, body.state);
      } catch (err) {
        if (err instanceof OAuthRequestError) return sendOAuthError(ctx, reply, err);
        throw err;
      }
    },
  });

  router.add({
    method: 'GET',
    path: '/api/v1/user/authorizations',
    summary: 'Lists the OAuth access tokens the signed-in user has granted to applications.',
    tag: 'user',
    internal: true,
    async handler({ ctx, actor }) {
      const user = authorizeOwnAccount(actor, 'user:admin');
      const rows = await listUserAuthorizations(ctx.db, user.id);
      return { authorizations: rows.map(authorizationView) };
    },
  });

  router.add({
    method: 'GET',
    path: '/api/v1/user/authorizations/{access_token_uuid}',
    summary: 'Returns one OAuth access token the signed-in user has granted.',
    tag: 'user',
    internal: true,
    async handler({ ctx, actor, params }) {
      const user = authorizeOwnAccount(actor, 'user:admin');
      return authorizationView(await getUserAuthorization(ctx.db, user.id, params['access_token_uuid']!));
    },
  });

  router.add({
    method: 'DELETE',
    path: '/api/v1/user/authorizations/{access_token_uuid}',
    summary: 'Revokes an OAuth access token the signed-in user has granted.',
    tag: 'user',
    internal: true,
    status: 204,
    async handler(call) {
      const { ctx, actor, params } = call;
      const user = authorizeOwnAccount(actor, 'user:admin');
      const authorization = await getUserAuthorization(ctx.db, user.id, params['access_token_uuid']!);
      await revokeUserAuthorization(ctx.db, user.id, authorization.uuid);
      await logApiAction(call, {
        kind: 'oauth_token_revoked',
        namespaceId: user.id,
        metadata: { application: authorization.application_name, client_id: authorization.client_id },
      });
      return undefined;
    },
  });
}
