import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { apiRoutes } from './api/index.js';
import type { AppContext } from './context.js';
import { healthRoutes } from './health/routes.js';
import { observeRequestDurations } from './metrics/request-metrics.js';
import { registryRoutes } from './registry/index.js';
import { registerWebUi, type WebUiOptions } from './web-ui/serve.js';

export interface ServerOptions {
  /** Where the built web UI is; false serves none (the UI is also skipped when it was never built). */
  webUi?: WebUiOptions | false;
}

/**
 * Assembles the HTTP app: /v2/ (registry) and /api/v1 (Quay REST API) as separate encapsulated
 * plugins, the health endpoints, and the web UI at `/`.
 */
export async function buildServer(ctx: AppContext, options: ServerOptions = {}): Promise<FastifyInstance> {
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
  if (options.webUi !== false) {
    const served = await registerWebUi(app, options.webUi ?? {});
    if (!served) ctx.log.info('the web UI is not built (npm run build): serving the registry and API only');
  }
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error_message: `no route for ${request.method} ${request.url}`, status: 404 }),
  );
  return app;
}
