import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { Invalid, NotFound, RegistryReadOnly } from '../errors.js';
import { type ApiActor, authenticateApiRequest, NEXT_CSRF_HEADER } from './authenticate.js';
import { sendApiError, toApiError } from './errors.js';
import { setSessionCookie } from './session-cookie.js';

/**
 * Declares /api/v1 routes with Quay's paths (`{param}` placeholders) and TypeBox schemas for the
 * body and query. One wrapper authenticates, validates, refuses writes in read-only mode, maps
 * errors to Quay's error JSON, and records every route for the discovery document.
 *
 * A `{repository}` placeholder matches `namespace/name` where the name may contain slashes
 * (nested repositories); such routes share one catch-all under /api/v1/repository/.
 */

export type ApiMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface ApiCall<Body = unknown, Query = Record<string, unknown>> {
  ctx: AppContext;
  actor: ApiActor;
  params: Record<string, string>;
  body: Body;
  query: Query;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface ApiRouteSpec<B extends TSchema | undefined = undefined, Q extends TSchema | undefined = undefined> {
  method: ApiMethod;
  /** Quay's path, e.g. `/api/v1/organization/{orgname}/team/{teamname}`. */
  path: string;
  /** One line for the discovery document. */
  summary: string;
  /** Groups routes in the discovery document (Quay's resource tag, e.g. "organization"). */
  tag: string;
  body?: B;
  query?: Q;
  /** Success status: 200 unless given (201 for creations, 204 for deletions). */
  status?: number;
  /** Whether the route still works in read-only mode (sign-in does); defaults to reads only. */
  allowWhenReadOnly?: boolean;
  /** An expired or unknown session cookie counts as none (sign-in, sign-out, account creation). */
  invalidSessionIsAnonymous?: boolean;
  /** Hidden from the public discovery document (Quay's `internal_only`). */
  internal?: boolean;
  /** The discovery document's operationId (Quay's nickname, e.g. `listRepos`); derived from the path when absent. */
  operationId?: string;
  handler(
    call: ApiCall<B extends TSchema ? Static<B> : unknown, Q extends TSchema ? Static<Q> : Record<string, unknown>>,
  ): Promise<unknown>;
}

type AnyRouteSpec = ApiRouteSpec<TSchema | undefined, TSchema | undefined>;

interface RepositoryRoute {
  spec: AnyRouteSpec;
  /** Path segments after `{repository}`; `{x}` segments capture. */
  suffix: string[];
}

const REPOSITORY_PREFIX = '/api/v1/repository/{repository}';

function validationMessage(schema: TSchema, value: unknown, where: string): string {
  const first = Value.Errors(schema, value).First();
  if (!first) return `invalid ${where}`;
  const field = first.path ? first.path.replace(/^\//, '').replaceAll('/', '.') : where;
  return `${field}: ${first.message}`;
}

function validated(schema: TSchema | undefined, value: unknown, where: 'body' | 'query'): unknown {
  if (!schema) return value;
  const input = where === 'query' ? Value.Convert(schema, Value.Default(schema, { ...(value as object) })) : value;
  if (where === 'body' && (input === undefined || input === null)) {
    const empty = Value.Default(schema, {});
    if (Value.Check(schema, empty)) return empty;
    throw new Invalid('input', 'a JSON request body is required');
  }
  const withDefaults = where === 'body' ? Value.Default(schema, structuredClone(input)) : input;
  if (!Value.Check(schema, withDefaults)) throw new Invalid('input', validationMessage(schema, withDefaults, where));
  return withDefaults;
}

/** A path ending in `/{repository}` outside /api/v1/repository/ (e.g. stars): the name may be nested. */
const TRAILING_REPOSITORY = '/{repository}';

function toFastifyPath(path: string): string {
  const fastifyPath = path.endsWith(TRAILING_REPOSITORY) ? `${path.slice(0, -TRAILING_REPOSITORY.length)}/*` : path;
  return fastifyPath.replace(/\{([a-zA-Z_]+)\}/g, ':$1');
}

function routeParams(path: string, request: FastifyRequest): Record<string, string> {
  const params = { ...(request.params as Record<string, string>) };
  if (path.endsWith(TRAILING_REPOSITORY)) {
    params['repository'] = (params['*'] ?? '').replace(/\/+$/, '');
    delete params['*'];
  }
  return params;
}

function matchSuffix(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (segments.length !== pattern.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    const got = segments[i]!;
    if (want.startsWith('{') && want.endsWith('}')) {
      if (got === '') return undefined;
      params[want.slice(1, -1)] = got;
    } else if (want !== got) {
      return undefined;
    }
  }
  return params;
}

export class ApiRouter {
  private readonly specs: AnyRouteSpec[] = [];
  private readonly repositoryRoutes: RepositoryRoute[] = [];

  constructor(
    private readonly app: FastifyInstance,
    private readonly ctx: AppContext,
  ) {}

  /** Every declared route, for the discovery document. */
  routes(): readonly AnyRouteSpec[] {
    return this.specs;
  }

  add<B extends TSchema | undefined = undefined, Q extends TSchema | undefined = undefined>(spec: ApiRouteSpec<B, Q>): void {
    const any = spec as unknown as AnyRouteSpec;
    this.specs.push(any);
    if (spec.path.startsWith(REPOSITORY_PREFIX)) {
      const rest = spec.path.slice(REPOSITORY_PREFIX.length).replace(/^\/+|\/+$/g, '');
      this.repositoryRoutes.push({ spec: any, suffix: rest === '' ? [] : rest.split('/') });
      // Longest suffixes first, so `a/b` wins over a repository named `.../a` with suffix `b`.
      this.repositoryRoutes.sort((x, y) => y.suffix.length - x.suffix.length);
      return;
    }
    this.app.route({
      method: spec.method,
      url: toFastifyPath(spec.path),
      handler: (request, reply) => this.run(any, request, reply, routeParams(spec.path, request)),
    });
  }

  /** Mounts the catch-all that dispatches `{repository}` routes; call once after adding routes. */
  mountRepositoryRoutes(): void {
    this.app.route({
      method: ['GET', 'POST', 'PUT', 'DELETE'],
      url: '/api/v1/repository/*',
      handler: (request, reply) => this.dispatchRepository(request, reply),
    });
  }

  private async dispatchRepository(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    try {
      const raw = ((request.params as { '*': string })['*'] ?? '').split('?')[0]!.replace(/\/+$/, '');
      // Fastify has already percent-decoded the wildcard.
      const segments = raw.split('/');
      let methodMismatch = false;
      for (const route of this.repositoryRoutes) {
        const repoLength = segments.length - route.suffix.length;
        if (repoLength < 2) continue;
        const params = matchSuffix(route.suffix, segments.slice(repoLength));
        if (!params) continue;
        if (route.spec.method !== request.method) {
          methodMismatch = true;
          continue;
        }
        params['repository'] = segments.slice(0, repoLength).join('/');
        return this.run(route.spec, request, reply, params);
      }
      if (methodMismatch) {
        return reply.code(405).send({ error_message: `${request.method} is not allowed here`, status: 405 });
      }
      throw new NotFound('repository', `no API endpoint at ${request.url.split('?')[0]}`);
    } catch (err) {
      return sendApiError(reply, this.ctx.config, err);
    }
  }

  private async run(
    spec: AnyRouteSpec,
    request: FastifyRequest,
    reply: FastifyReply,
    params: Record<string, string>,
  ): Promise<FastifyReply> {
    const { ctx } = this;
    try {
      const writes = spec.method !== 'GET';
      if (writes && ctx.config.REGISTRY_STATE === 'readonly' && !spec.allowWhenReadOnly) throw new RegistryReadOnly();
      const actor = await authenticateApiRequest(ctx, request, {
        invalidSessionIsAnonymous: spec.invalidSessionIsAnonymous === true,
      });
      if (actor.session) reply.header(NEXT_CSRF_HEADER, actor.session.csrf_token);
      if (actor.renewedSessionCookie) setSessionCookie(ctx, reply, actor.renewedSessionCookie);
      const body = validated(spec.body, request.body, 'body');
      const query = validated(spec.query, request.query ?? {}, 'query') as Record<string, unknown>;
      const result = await spec.handler({ ctx, actor, params, body, query, request, reply });
      if (reply.sent) return reply;
      const status = spec.status ?? 200;
      if (status === 204 || result === undefined) return reply.code(status === 200 ? 204 : status).send();
      return reply.code(status).send(result);
    } catch (err) {
      if (toApiError(err).status >= 500) request.log.error({ err }, 'API request failed');
      return sendApiError(reply, ctx.config, err);
    }
  }
}
