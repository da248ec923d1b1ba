import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { apiRoutes } from './api/index.js';
import type { AppContext } from './context.js';
import { healthRoutes } from './health/routes.js';
import { observeRequestDurations } from './metrics/request-metrics.js';
import { registryRoutes } from './registry/index.js';

/** Assembles the HTTP app: /v2/ (registry) and /api/v1 (Quay REST API) as separate encapsulated plugins. */
export async function buildServer(ctx: AppContext): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ctx.log as FastifyBaseLogger,
    trustProxy: true,
    bodyLimit: 1024 * 1024,
    // Namespace, robot and team names may be 255 characters; longer segments get our own 400s.
    routerOptions: { maxParamLength: 1024, ignoreTrailingSlash: true },
    requestIdHeader: 'x-request-id',
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  // Before the plugins, so that the hook reaches every route they declare.
  observeRequestDurations(app, ctx.metrics);
  await app.register(async (registry) => registryRoutes(registry, ctx));
  await app.register(async (api) => {
    await apiRoutes(api, ctx);
  });
  await app.register(async (health) => healthRoutes(health, ctx));
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error_message: `no route for ${request.method} ${request.url}`, status: 404 }),
  );
  return app;
}
