import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type RepositoryAction, repositoryActions, repositoryListScope } from '../auth/authorize.js';
import { authenticateBasic, parseBasicAuthorization } from '../auth/credentials.js';
import { type AccessGrant, ANONYMOUS, type Identity } from '../auth/principal.js';
import { type CatalogScope, parseScopeParams, type RepositoryScope, type TokenScope } from '../auth/scopes.js';
import type { AppContext } from '../context.js';
import { Unauthorized } from '../errors.js';
import { parseRepositoryPath } from '../model/repositories.js';
import { countedAuthentication } from '../metrics/registry.js';
import { sendOciError, toOciError } from './errors.js';
import { registryService } from '../net/public-host.js';

/** What the token endpoint needs from the application context. */
export type TokenRouteContext = Pick<AppContext, 'config' | 'db' | 'tokens' | 'secrets' | 'directory' | 'metrics'>;

export interface TokenResponse {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

function stringValues(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

async function requestIdentity(ctx: TokenRouteContext, authorization: string | undefined): Promise<Identity> {
  if (authorization === undefined || authorization.trim() === '') return { principal: ANONYMOUS };
  return countedAuthentication(ctx, 'credentials', async () => {
    const credentials = parseBasicAuthorization(authorization);
    if (!credentials) throw new Unauthorized('invalid authorization header: use basic authentication');
    return authenticateBasic(ctx, credentials.username, credentials.password);
  });
}

/** Down-scoping: the requested actions the principal holds; never an error for lacking rights. */
async function grantRepositoryScope(ctx: TokenRouteContext, identity: Identity, scope: RepositoryScope): Promise<AccessGrant> {
  const { config } = ctx;
  // An invalid path throws Invalid('name'), reported as 400 NAME_INVALID like Quay does.
  const ref = parseRepositoryPath(scope.name, config.FEATURE_LIBRARY_SUPPORT ? config.LIBRARY_NAMESPACE : undefined);
  const held = await repositoryActions(ctx, identity, ref);
  const actions = scope.actions.filter((action) => held.has(action as RepositoryAction));
  return { type: 'repository', name: scope.name, actions };
}

async function grantCatalogScope(ctx: TokenRouteContext, identity: Identity, scope: CatalogScope): Promise<AccessGrant> {
  const mayList = (await repositoryListScope(ctx, identity)) !== null;
  return { type: scope.type, name: scope.name, actions: mayList ? [...scope.actions] : [] };
}

async function grantScope(ctx: TokenRouteContext, identity: Identity, scope: TokenScope): Promise<AccessGrant> {
  return scope.type === 'repository'
    ? grantRepositoryScope(ctx, identity, scope)
    : grantCatalogScope(ctx, identity, scope);
}

async function issueToken(ctx: TokenRouteContext, request: FastifyRequest): Promise<TokenResponse> {
  const { config } = ctx;
  const query = (request.query ?? {}) as Record<string, unknown>;
  const service = registryService(config, request.headers.host);
  const identity = await requestIdentity(ctx, request.headers.authorization);
  const { principal } = identity;
  const scopes = parseScopeParams(stringValues(query['scope']), service);

  if (principal.kind === 'anonymous') {
    if (scopes.length === 0) throw new Unauthorized('authentication required');
    if (!config.FEATURE_ANONYMOUS_ACCESS) throw new Unauthorized('anonymous access is not allowed');
  }

  const access: AccessGrant[] = [];
  for (const scope of scopes) access.push(await grantScope(ctx, identity, scope));

  // The `service` parameter only echoes our own challenge; a token for any other audience would be
  // useless here, so the audience is always the expected service.
  const issuedAt = new Date();
  const token = await ctx.tokens.issue(identity, access, service);
  return {
    token,
    access_token: token,
    expires_in: config.TOKEN_VALIDITY_LIFETIME_S,
    issued_at: issuedAt.toISOString(),
  };
}

async function handleTokenRequest(ctx: TokenRouteContext, request: FastifyRequest, reply: FastifyReply) {
  try {
    const body = await issueToken(ctx, request);
    return reply.header('cache-control', 'no-store').type('application/json').send(body);
  } catch (err) {
    const error = toOciError(err);
    if (error.status >= 500) request.log.error({ err }, 'registry token request failed');
    return sendOciError(reply, error);
  }
}

/** GET /v2/auth: the Docker token endpoint that the /v2/ challenge's realm points to. */
export async function tokenRoutes(app: FastifyInstance, ctx: TokenRouteContext): Promise<void> {
  app.get('/v2/auth', (request, reply) => handleTokenRequest(ctx, request, reply));
}
