import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { MethodNotAllowed, NotFound } from '../errors.js';
import { authenticateRegistryRequest } from './authenticate.js';
import {
  cancelBlobUpload,
  deleteBlob,
  finishBlobUpload,
  getBlob,
  getBlobUploadStatus,
  patchBlobUpload,
  startBlobUpload,
} from './blobs.js';
import { parseRegistryName, type RepositoryCall } from './call.js';
import { sendOciError, toOciError } from './errors.js';
import { catalogHandler, tagsListHandler } from './listings.js';
import { deleteManifestHandler, getManifestHandler, putManifestHandler, referrersHandler } from './manifests.js';
import { matchRegistryPath, type RegistryRoute } from './paths.js';
import { countManifestRequest, labelRegistryRequest } from './request-metrics.js';
import { registryService } from '../net/public-host.js';
import { tokenRoutes } from './token-route.js';

type RepositoryRoute = Exclude<RegistryRoute, { kind: 'base' } | { kind: 'catalog' }>;

function methodNotAllowed(method: string): never {
  throw new MethodNotAllowed(`${method} is not supported on this endpoint`);
}

function dispatch(call: RepositoryCall, route: RepositoryRoute, method: string): Promise<FastifyReply> {
  const head = method === 'HEAD';
  switch (route.kind) {
    case 'tags':
      if (method === 'GET') return tagsListHandler(call);
      break;
    case 'manifest':
      if (method === 'GET' || head) return getManifestHandler(call, route.reference, head);
      if (method === 'PUT') return putManifestHandler(call, route.reference);
      if (method === 'DELETE') return deleteManifestHandler(call, route.reference);
      break;
    case 'blob':
      if (method === 'GET' || head) return getBlob(call, route.digest, head);
      if (method === 'DELETE') return deleteBlob(call, route.digest);
      break;
    case 'uploads':
      if (method === 'POST') return startBlobUpload(call);
      break;
    case 'upload':
      if (method === 'GET') return getBlobUploadStatus(call, route.uuid);
      if (method === 'PATCH') return patchBlobUpload(call, route.uuid);
      if (method === 'PUT') return finishBlobUpload(call, route.uuid);
      if (method === 'DELETE') return cancelBlobUpload(call, route.uuid);
      break;
    case 'referrers':
      if (method === 'GET') return referrersHandler(call, route.digest);
      break;
  }
  return methodNotAllowed(method);
}

/** The scope a client needs for this request, for the WWW-Authenticate challenge. */
function challengeScope(route: RegistryRoute | undefined, method: string): string | undefined {
  if (!route || route.kind === 'base') return undefined;
  if (route.kind === 'catalog') return 'registry:catalog:*';
  const reading = method === 'GET' || method === 'HEAD';
  const actions = reading ? 'pull' : 'pull,push';
  return `repository:${route.name}:${actions}`;
}

function challenge(ctx: AppContext, request: FastifyRequest, scope: string | undefined): string {
  const service = registryService(ctx.config, request.headers.host);
  const realm = `${ctx.config.PREFERRED_URL_SCHEME}://${service}/v2/auth`;
  const parts = [`realm="${realm}"`, `service="${service}"`];
  if (scope) parts.push(`scope="${scope}"`);
  return `Bearer ${parts.join(',')}`;
}

async function handle(ctx: AppContext, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const rawPath = (request.params as { '*': string })['*'] ?? '';
  const path = rawPath.split('?')[0]!;
  const route = matchRegistryPath(path);
  labelRegistryRequest(ctx, request, route);
  const sent = await respond(ctx, request, reply, path, route);
  if (route?.kind === 'manifest') countManifestRequest(ctx, request, route.reference, reply.statusCode);
  return sent;
}

async function respond(
  ctx: AppContext,
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  route: RegistryRoute | undefined,
): Promise<FastifyReply> {
  const method = request.method;
  try {
    const actor: Actor = await authenticateRegistryRequest(ctx, request);
    if (!route) throw new NotFound('repository', `no registry endpoint at /v2/${path}`);
    if (route.kind === 'base') {
      if (actor.principal.kind === 'anonymous' && !actor.tokenAccess) {
        return sendOciError(reply.header('WWW-Authenticate', challenge(ctx, request, undefined)), {
          status: 401,
          code: 'UNAUTHORIZED',
          message: 'authentication required',
        });
      }
      return reply.code(200).send({});
    }
    if (route.kind === 'catalog') return await catalogHandler(ctx, actor, request, reply);
    const call: RepositoryCall = { ctx, request, reply, actor, path: route.name, ref: parseRegistryName(ctx, route.name) };
    return await dispatch(call, route, method);
  } catch (err) {
    const error = toOciError(err);
    if (error.status === 500) request.log.error({ err }, 'registry request failed');
    if (error.status === 401) reply.header('WWW-Authenticate', challenge(ctx, request, challengeScope(route, method)));
    return sendOciError(reply, error);
  }
}

/** Mounts the OCI Distribution API under /v2/. Bodies reach handlers as raw streams. */
export async function registryRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.addHook('onSend', async (_request, reply) => {
    reply.header('Docker-Distribution-API-Version', 'registry/2.0');
  });
  await tokenRoutes(app, ctx);
  app.route({
    method: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'],
    url: '/v2/*',
    exposeHeadRoute: false,
    handler: (request, reply) => handle(ctx, request, reply),
  });
  app.route({
    method: ['GET', 'HEAD'],
    url: '/v2',
    exposeHeadRoute: false,
    handler: (request, reply) => handle(ctx, request, reply),
  });
}
