import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { DomainError } from '../errors.js';
import { ALL_OAUTH_SCOPES, createAccessToken, createOAuthApplication } from '../model/oauth-tokens.js';
import { createFirstUser, hasAnyAccount } from '../model/users.js';

type UserInitializeContext = Pick<AppContext, 'config' | 'db' | 'dialect'>;

/** Quay creates the initialize token with its default OAuth token lifetime: 9000 s (2.5 hours). */
const INITIALIZE_TOKEN_LIFETIME_S = 9000;

interface InitializeRequest {
  username: string;
  password: string;
  email: string | undefined;
  accessToken: boolean;
}

interface InitializeResponse {
  username: string;
  email: string | null;
  access_token?: string;
}

/** Thrown for requests this endpoint refuses; answered as Quay does: 400 `{"message": ...}`. */
class InitializeRefused extends Error {}

function parseBody(body: unknown): InitializeRequest {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const { username, password, email } = fields;
  if (typeof username !== 'string' || typeof password !== 'string') {
    throw new InitializeRefused('Failed to initialize user: username and password are required');
  }
  if (email !== undefined && email !== null && typeof email !== 'string') {
    throw new InitializeRefused('Failed to initialize user: email must be a string');
  }
  return { username, password, email: email ?? undefined, accessToken: fields['access_token'] === true };
}

function refuseUnlessAllowed(ctx: UserInitializeContext): void {
  if (!ctx.config.FEATURE_USER_INITIALIZE) {
    throw new InitializeRefused('Cannot initialize user, FEATURE_USER_INITIALIZE is False');
  }
  if (ctx.config.AUTHENTICATION_TYPE !== 'Database') {
    throw new InitializeRefused('Cannot initialize user in a non-database auth system');
  }
}

const NOT_EMPTY = 'Cannot initialize user in a non-empty database';

async function initializeUser(ctx: UserInitializeContext, body: unknown): Promise<InitializeResponse> {
  refuseUnlessAllowed(ctx);
  if (await hasAnyAccount(ctx.db)) throw new InitializeRefused(NOT_EMPTY);
  const input = parseBody(body);
  const user = await createFirstUser(ctx.db, ctx.dialect, ctx.config, {
    name: input.username,
    password: input.password,
    email: input.email,
  });
  if (!user) throw new InitializeRefused(NOT_EMPTY);

  const response: InitializeResponse = { username: user.name, email: user.email };
  if (input.accessToken) {
    const application = await createOAuthApplication(ctx.db, {
      namespaceId: user.id,
      name: 'automation',
      clientId: user.name,
      description: 'Application token generated via /api/v1/user/initialize',
    });
    const { token } = await createAccessToken(ctx.db, {
      applicationId: application.id,
      userId: user.id,
      scopes: ALL_OAUTH_SCOPES,
      expiresInS: INITIALIZE_TOKEN_LIFETIME_S,
    });
    response.access_token = token;
  }
  return response;
}

async function handleInitialize(ctx: UserInitializeContext, request: FastifyRequest, reply: FastifyReply) {
  try {
    return reply.code(200).send(await initializeUser(ctx, request.body));
  } catch (err) {
    if (err instanceof InitializeRefused) return reply.code(400).send({ message: err.message });
    if (err instanceof DomainError) return reply.code(400).send({ message: `Failed to initialize user: ${err.message}` });
    throw err;
  }
}

/**
 * POST /api/v1/user/initialize (FEATURE_USER_INITIALIZE): creates the first user of an empty
 * database, optionally with an OAuth access token for automation. Unauthenticated by design.
 */
export async function userInitializeRoutes(app: FastifyInstance, ctx: UserInitializeContext): Promise<void> {
  app.post('/api/v1/user/initialize', (request, reply) => handleInitialize(ctx, request, reply));
}
