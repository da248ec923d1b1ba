import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from './registry.js';

/**
 * quay_request_duration_seconds for every HTTP request, from one onResponse hook. The route label
 * is a pattern, never the raw URL, so that the number of series stays bounded: the Fastify route,
 * or a finer pattern a catch-all route names with `labelRequestRoute` (/v2/ dispatches every
 * endpoint from one wildcard). namespace_name is only set on answers below 400, so that requests
 * for made-up names cannot create series.
 */

interface RouteLabel {
  route: string;
  namespace: string;
}

const routeLabels = new WeakMap<FastifyRequest, RouteLabel>();

/** Names the route pattern (and namespace) of a request that a catch-all route dispatched. */
export function labelRequestRoute(request: FastifyRequest, route: string, namespace: string): void {
  routeLabels.set(request, { route, namespace });
}

/** The namespace a Quay API route names in its path, if any. */
function apiNamespace(request: FastifyRequest, route: string): string {
  const params = request.params as Record<string, string | undefined> | undefined;
  if (!params) return '';
  const named = params['orgname'] ?? params['namespace'];
  if (named !== undefined) return named;
  // The /api/v1/repository/{namespace}/{name}/... catch-all.
  const rest = route === '/api/v1/repository/*' ? params['*'] : undefined;
  if (rest === undefined) return '';
  const slash = rest.indexOf('/');
  return slash < 0 ? '' : rest.slice(0, slash);
}

export function observeRequestDurations(app: FastifyInstance, metrics: Metrics): void {
  // A callback hook, not an async one: no promise per request on the hot path.
  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const labelled = routeLabels.get(request);
    const route = labelled?.route ?? request.routeOptions.url ?? 'unmatched';
    let namespace = '';
    if (status < 400) namespace = labelled ? labelled.namespace : apiNamespace(request, route);
    metrics.requestDuration.observe(
      { method: request.method, route, status, namespace_name: namespace },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
