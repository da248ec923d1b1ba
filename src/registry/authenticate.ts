import type { FastifyRequest } from 'fastify';
import { authenticateBasic, parseBasicAuthorization } from '../auth/credentials.js';
import { ANONYMOUS, type Actor } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { Unauthorized } from '../errors.js';
import { registryService } from './service.js';

/** Who is calling: a registry bearer token, HTTP basic credentials, or nobody. Bad credentials throw. */
export async function authenticateRegistryRequest(ctx: AppContext, request: FastifyRequest): Promise<Actor> {
  const header = request.headers.authorization;
  if (!header) return { principal: ANONYMOUS };
  const [scheme, value] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer' && value) {
    const verified = await ctx.tokens.verify(value.trim(), registryService(ctx.config, request.headers.host));
    return { principal: verified.principal, tokenAccess: verified.access };
  }
  if (scheme?.toLowerCase() === 'basic') {
    const credentials = parseBasicAuthorization(header);
    if (!credentials) throw new Unauthorized('malformed basic credentials');
    return { principal: await authenticateBasic(ctx, credentials.username, credentials.password) };
  }
  throw new Unauthorized(`unsupported authorization scheme ${scheme ?? ''}`);
}
