import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { isDigest, MANIFEST_MEDIA_TYPES } from '../manifest/index.js';
import { SCHEMA1_MEDIA_TYPES } from '../manifest/media-types.js';
import { labelRequestRoute } from '../metrics/request-metrics.js';
import type { Metrics } from '../metrics/registry.js';
import type { RegistryRoute } from './paths.js';

/** The route label of each /v2/ endpoint (all of them are served by one wildcard route). */
const ROUTE_PATTERNS: Record<RegistryRoute['kind'], string> = {
  base: '/v2/',
  catalog: '/v2/_catalog',
  tags: '/v2/:name/tags/list',
  manifest: '/v2/:name/manifests/:reference',
  blob: '/v2/:name/blobs/:digest',
  uploads: '/v2/:name/blobs/uploads/',
  upload: '/v2/:name/blobs/uploads/:uuid',
  referrers: '/v2/:name/referrers/:digest',
};

const KNOWN_MANIFEST_TYPES: ReadonlySet<string> = new Set([...MANIFEST_MEDIA_TYPES, ...SCHEMA1_MEDIA_TYPES]);

/** Gives the request-duration histogram the endpoint's pattern and namespace instead of "/v2/*". */
export function labelRegistryRequest(ctx: AppContext, request: FastifyRequest, route: RegistryRoute | undefined): void {
  if (!route) return;
  let namespace = '';
  if ('name' in route) {
    const slash = route.name.indexOf('/');
    if (slash > 0) namespace = route.name.slice(0, slash);
    else if (ctx.config.FEATURE_LIBRARY_SUPPORT) namespace = ctx.config.LIBRARY_NAMESPACE;
  }
  labelRequestRoute(request, ROUTE_PATTERNS[route.kind], namespace);
}

/** quay_registry_image_pushes_total for one manifest PUT; the media type is the manifest's. */
export function countManifestPush(metrics: Metrics, status: number, mediaType: string): void {
  metrics.imagePushes.inc({ protocol: 'v2', status, media_type: mediaType });
}

/**
 * Counts a finished manifest request: a GET is a pull (ref "tag" or "manifest" for a digest), a
 * failed PUT a failed push (a successful one is counted where its media type is known). HEAD is an
 * existence check, not a pull. A 401 is not counted: it only asks the client for credentials, and
 * the client retries with them.
 */
export function countManifestRequest(ctx: AppContext, request: FastifyRequest, reference: string, status: number): void {
  if (status === 401) return;
  if (request.method === 'GET') {
    ctx.metrics.imagePulls.inc({ protocol: 'v2', ref: isDigest(reference) ? 'manifest' : 'tag', status });
  } else if (request.method === 'PUT' && status >= 400) {
    // The client's Content-Type, when it names a manifest type; anything else would be an unbounded label.
    const claimed = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
    countManifestPush(ctx.metrics, status, KNOWN_MANIFEST_TYPES.has(claimed) ? claimed : 'unknown');
  }
}
