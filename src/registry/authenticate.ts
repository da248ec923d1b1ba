import type { FastifyRequest } from 'fastify';
import { authenticateBasic, parseBasicAuthorization } from '../auth/credentials.js';
import { ANONYMOUS, type Actor } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { Unauthorized } from '../errors.js';
import { countAuthentication, countedAuthentication } from '../metrics/registry.js';
import { registryService } from '../net/public-host.js';

/** Who is calling: a registry bearer token, HTTP basic credentials, or nobody. Bad credentials throw. */
export async function authenticateRegistryRequest(ctx: AppContext, request: FastifyRequest): Promise<Actor> {
  const header = request.headers.authorization;
  if (!header) return { principal: ANONYMOUS, credential: 'anonymous' };
  const [scheme, value] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer' && value) {
    const verified = await countedAuthentication(ctx, 'signed_grant', () =>
      ctx.tokens.verify(value.trim(), registryService(ctx.config, request.headers.host)),
    );
    const actor: Actor = { principal: verified.principal, tokenAccess: verified.access, credential: 'registry_jwt' };
    if (verified.scopes) actor.scopes = verified.scopes;
    return actor;
  }
  if (scheme?.toLowerCase() === 'basic') {
    const credentials = parseBasicAuthorization(header);
    if (!credentials) {
      countAuthentication(ctx.metrics, 'basic', false);
      throw new Unauthorized('malformed basic credentials');
    }
    return countedAuthentication(ctx, 'basic', () => authenticateBasic(ctx, credentials.username, credentials.password));
  }
  throw new Unauthorized(`unsupported authorization scheme ${scheme ?? ''}`);
}
