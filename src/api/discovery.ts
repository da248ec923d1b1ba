import { type TSchema, Type as T } from '@sinclair/typebox';
import { OAUTH_SCOPES, type OAuthScope } from '../auth/authorize.js';
import type { QuaysideConfig } from '../config/load.js';
import { NotFound } from '../errors.js';
import { isValidHostHeader } from '../net/public-host.js';
import { API_ERROR_DESCRIPTIONS, apiBaseUrl, isApiErrorType } from './errors.js';
import type { ApiMethod, ApiRouter, ApiRouteSpec } from './router.js';

/**
 * GET /api/v1/discovery: a Swagger 2.0 document of every route the router holds, generated from
 * the route specs (paths, path and query parameters, TypeBox body schemas as definitions, tags,
 * summaries, operationIds), so that routes added anywhere appear without being listed here.
 * Routes marked internal appear only with `?internal=true`, flagged `x-internal`.
 * GET /api/v1/error/{error_type}: what an error type means (the `type` URL of every error).
 */

type Json = Record<string, unknown>;
type RouteSpec = ApiRouteSpec<TSchema | undefined, TSchema | undefined>;

const SCOPE_DESCRIPTIONS: Record<OAuthScope, string> = {
  'repo:read': 'View all visible repositories',
  'repo:write': 'Read/Write to any accessible repositories',
  'repo:admin': 'Administer repositories',
  'repo:create': 'Create repositories',
  'user:read': 'Read user information',
  'user:admin': 'Administer user',
  'org:admin': 'Administer organization',
  'super:user': 'Super user',
};

const PATH_PARAMETER_DESCRIPTIONS: Record<string, string> = {
  repository: 'The full path of the repository. e.g. namespace/name',
};

const API_ERROR_DEFINITION: Json = {
  type: 'object',
  required: ['status', 'type', 'title'],
  properties: {
    status: { type: 'integer', description: 'Status code of the response.' },
    type: { type: 'string', description: 'Reference to the type of the error.' },
    detail: { type: 'string', description: 'Details about the specific instance of the error.' },
    title: { type: 'string', description: 'Unique error code to identify the type of error.' },
    error_message: { type: 'string', description: 'Deprecated; alias for detail' },
    error_type: { type: 'string', description: 'Deprecated; alias for detail' },
  },
};

const SCALAR_KEYWORDS = ['format', 'pattern', 'minLength', 'maxLength', 'minimum', 'maximum', 'default', 'enum'] as const;

function jsonTypeOf(value: unknown): string {
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value === 'boolean' ? 'boolean' : 'string';
}

/**
 * A TypeBox (JSON Schema) schema as a Swagger 2.0 schema object: unions of literals become enums,
 * nullable unions `x-nullable`, records `additionalProperties`. Other unions, which Swagger 2.0
 * cannot state, keep their first member.
 */
function swaggerSchema(schema: unknown): Json {
  const s = (schema ?? {}) as Json;
  const out: Json = {};
  if (typeof s['description'] === 'string') out['description'] = s['description'];
  const anyOf = s['anyOf'] as Json[] | undefined;
  if (Array.isArray(anyOf)) {
    const members = anyOf.filter((m) => m['type'] !== 'null');
    if (members.length < anyOf.length) out['x-nullable'] = true;
    if (members.length > 0 && members.every((m) => 'const' in m)) {
      out['type'] = jsonTypeOf(members[0]!['const']);
      out['enum'] = members.map((m) => m['const']);
      if ('default' in s) out['default'] = s['default'];
      return out;
    }
    const first = members[0];
    return first ? { ...swaggerSchema(first), ...out } : out;
  }
  if ('const' in s) {
    return { ...out, type: jsonTypeOf(s['const']), enum: [s['const']] };
  }
  let type = s['type'];
  if (Array.isArray(type)) {
    if (type.includes('null')) out['x-nullable'] = true;
    type = type.find((t) => t !== 'null');
  }
  if (type === 'object') {
    out['type'] = 'object';
    const properties = s['properties'] as Record<string, unknown> | undefined;
    if (properties) {
      out['properties'] = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, swaggerSchema(v)]));
    }
    const required = s['required'];
    if (Array.isArray(required) && required.length > 0) out['required'] = [...required];
    const patterns = s['patternProperties'] as Record<string, unknown> | undefined;
    const additional = patterns ? Object.values(patterns)[0] : s['additionalProperties'];
    if (additional !== undefined && typeof additional === 'object') out['additionalProperties'] = swaggerSchema(additional);
    return out;
  }
  if (type === 'array') {
    out['type'] = 'array';
    out['items'] = swaggerSchema(s['items']);
    return out;
  }
  if (type === 'null') return { ...out, 'x-nullable': true };
  if (typeof type === 'string') out['type'] = type;
  for (const key of SCALAR_KEYWORDS) if (key in s) out[key] = s[key];
  return out;
}

function pascal(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

/** An operationId for a route that declares none: the method and the path's words, e.g. getRepositoryTagByTag. */
function derivedOperationId(method: ApiMethod, path: string): string {
  const words = path
    .replace(/^\/api\/v1\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((segment) => (segment.startsWith('{') ? `By${pascal(segment)}` : pascal(segment)));
  return `${method.toLowerCase()}${words.join('')}`;
}

function pathParameterNames(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z_]+)\}/g)].map((m) => m[1]!);
}

function queryParameters(schema: TSchema | undefined): Json[] {
  const s = (schema ?? {}) as Json;
  const properties = (s['properties'] ?? {}) as Record<string, unknown>;
  const required = new Set((s['required'] as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => {
    const converted = swaggerSchema(property);
    const parameter: Json = {
      name,
      in: 'query',
      // A parameter with a default need not be sent, whatever the schema says.
      required: required.has(name) && !('default' in converted),
      description: converted['description'] ?? '',
      type: typeof converted['type'] === 'string' && converted['type'] !== 'object' ? converted['type'] : 'string',
    };
    for (const key of SCALAR_KEYWORDS) if (key in converted && key !== 'default') parameter[key] = converted[key];
    if ('default' in converted) parameter['default'] = converted['default'];
    if (converted['type'] === 'array') {
      parameter['items'] = converted['items'];
      parameter['collectionFormat'] = 'multi';
    }
    return parameter;
  });
}

function responses(spec: RouteSpec): Json {
  const error = { schema: { $ref: '#/definitions/ApiError' } };
  const status = spec.status ?? 200;
  const success =
    status === 204 ? 'Deleted' : status === 201 ? 'Successful creation' : 'Successful invocation';
  return {
    [String(status)]: { description: success },
    '400': { description: 'Bad Request', ...error },
    '401': { description: 'Session required', ...error },
    '403': { description: 'Unauthorized access', ...error },
    '404': { description: 'Not found', ...error },
  };
}

/** The parts of the document that depend on the routes alone, not on the registry's address. */
interface RouteDocument {
  paths: Record<string, Json>;
  definitions: Record<string, Json>;
  tags: Json[];
}

/** Paths, definitions and tags of `routes`; internal routes only with `includeInternal`. */
function routeDocument(routes: readonly RouteSpec[], includeInternal: boolean): RouteDocument {
  const paths: Record<string, Json> = {};
  const definitions: Record<string, Json> = { ApiError: API_ERROR_DEFINITION };
  const tags = new Set<string>();
  const operationIds = new Set<string>();
  const uniqueOperationId = (wanted: string): string => {
    let id = wanted;
    for (let n = 2; operationIds.has(id); n++) id = `${wanted}${n}`;
    operationIds.add(id);
    return id;
  };
  for (const spec of routes) {
    if (spec.internal && !includeInternal) continue;
    const operationId = uniqueOperationId(spec.operationId ?? derivedOperationId(spec.method, spec.path));
    tags.add(spec.tag);
    paths[spec.path] ??= { 'x-path': spec.path, 'x-tag': spec.tag };
    const pathItem = paths[spec.path]!;
    const parameters: Json[] = pathParameterNames(spec.path).map((name) => ({
      name,
      in: 'path',
      required: true,
      description: PATH_PARAMETER_DESCRIPTIONS[name] ?? '',
      type: 'string',
    }));
    parameters.push(...queryParameters(spec.query));
    if (spec.body) {
      const definition = `${pascal(operationId)}Request`;
      definitions[definition] = swaggerSchema(spec.body);
      parameters.push({
        name: 'body',
        in: 'body',
        required: true,
        description: 'Request body contents.',
        schema: { $ref: `#/definitions/${definition}` },
      });
    }
    const operation: Json = {
      operationId,
      summary: spec.summary,
      description: spec.summary,
      tags: [spec.tag],
      parameters,
      responses: responses(spec),
    };
    if (spec.internal) operation['x-internal'] = true;
    pathItem[spec.method.toLowerCase()] = operation;
  }
  const sortedPaths = Object.fromEntries(
    Object.entries(paths).sort(([a, x], [b, y]) => String(x['x-tag']).localeCompare(String(y['x-tag'])) || a.localeCompare(b)),
  );
  return { paths: sortedPaths, definitions, tags: [...tags].sort().map((name) => ({ name, description: '' })) };
}

/**
 * Where this registry is, for the document: the host and scheme of `baseUrl`. Without a base (no
 * SERVER_HOSTNAME and a malformed Host header) the host is left out, which in Swagger 2.0 means
 * "the host serving this document", and the OAuth URL is relative.
 */
function documentAddress(baseUrl: string | undefined, scheme: string): { host?: string; scheme: string; origin: string } {
  if (baseUrl === undefined) return { scheme, origin: '' };
  const url = new URL(baseUrl);
  return { host: url.host, scheme: url.protocol.replace(/:$/, ''), origin: url.origin };
}

/** The registry's base URL, unless neither SERVER_HOSTNAME nor the Host header says where it is. */
function knownBaseUrl(config: QuaysideConfig, hostHeader: string | undefined): string | undefined {
  if (!config.SERVER_HOSTNAME && (hostHeader === undefined || !isValidHostHeader(hostHeader))) return undefined;
  return apiBaseUrl(config, hostHeader);
}

/** The Swagger 2.0 document: the routes' part, with this registry's address and OAuth endpoint. */
function discoveryDocument(routes: RouteDocument, baseUrl: string | undefined, scheme: string): Json {
  const address = documentAddress(baseUrl, scheme);
  return {
    swagger: '2.0',
    ...(address.host === undefined ? {} : { host: address.host }),
    basePath: '/',
    schemes: [address.scheme],
    info: {
      version: 'v1',
      title: 'Quayside',
      description: 'The Quay-compatible REST API of this Quayside registry: repositories, tags, organizations, users and more.',
    },
    securityDefinitions: {
      oauth2_implicit: {
        type: 'oauth2',
        flow: 'implicit',
        authorizationUrl: `${address.origin}/oauth/authorize`,
        scopes: Object.fromEntries(OAUTH_SCOPES.map((scope) => [scope, SCOPE_DESCRIPTIONS[scope]])),
      },
    },
    ...routes,
  };
}

const DiscoveryQuery = T.Object({
  internal: T.Boolean({ default: false, description: 'Whether to include internal APIs.' }),
});

export function registerDiscoveryRoutes(router: ApiRouter): void {
  // Routes do not change once the server runs, so each variant is generated once. The address part
  // is added per request: it follows the Host header, whose values are the client's to choose.
  const routeDocuments = new Map<boolean, RouteDocument>();
  const routeDocumentFor = (includeInternal: boolean): RouteDocument => {
    let document = routeDocuments.get(includeInternal);
    if (!document) {
      document = routeDocument(router.routes(), includeInternal);
      routeDocuments.set(includeInternal, document);
    }
    return document;
  };

  router.add({
    method: 'GET',
    path: '/api/v1/discovery',
    summary: 'List all of the API endpoints available in the Swagger 2.0 format.',
    tag: 'discovery',
    operationId: 'discovery',
    query: DiscoveryQuery,
    handler: async (call) =>
      discoveryDocument(
        routeDocumentFor(call.query.internal),
        knownBaseUrl(call.ctx.config, call.request.headers.host),
        call.ctx.config.PREFERRED_URL_SCHEME,
      ),
  });

  router.add({
    method: 'GET',
    path: '/api/v1/error/{error_type}',
    summary: 'Get a detailed description of the error.',
    tag: 'error',
    operationId: 'getErrorDescription',
    handler: async (call) => {
      const type = call.params['error_type'] ?? '';
      // MissingThing has no error-type member; the API reports every NotFound alike (not_found).
      if (!isApiErrorType(type)) throw new NotFound('application', `unknown error type ${type}`);
      return {
        type: `${apiBaseUrl(call.ctx.config, call.request.headers.host)}/api/v1/error/${type}`,
        title: type,
        description: API_ERROR_DESCRIPTIONS[type],
      };
    },
  });
}
