import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../src/api/index.js';
import type { ApiRouteSpec } from '../../src/api/router.js';
import { findNamespace } from '../../src/model/namespaces.js';
import { createRepositoryWithPermissions } from '../../src/model/repository-creation.js';
import { type ApiClient, anonymousClient, expectApiError, expectStatus } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

// biome-ignore lint/suspicious/noExplicitAny: the test walks an arbitrary JSON document
type Json = Record<string, any>;

const METHODS = ['get', 'post', 'put', 'delete'] as const;
const SWAGGER_PARAMETER_TYPES = ['string', 'number', 'integer', 'boolean', 'array'];
/** JSON Schema keywords that Swagger 2.0 schema objects do not have. */
const NOT_SWAGGER_2 = ['anyOf', 'oneOf', 'const', 'patternProperties', '$id', 'nullable'];

describe.each(testDialects())('discovery document (%s)', (dialect) => {
  let registry: TestRegistry;
  let anonymous: ApiClient;
  let routes: readonly ApiRouteSpec<never, never>[];
  let publicDoc: Json;
  let internalDoc: Json;

  beforeAll(async () => {
    registry = await startTestRegistry({ dialect, overrides: { SERVER_HOSTNAME: 'registry.example.com', PREFERRED_URL_SCHEME: 'https' } });
    anonymous = anonymousClient(registry);
    await registry.createUser('owner', 'discovery-Pa55word!');
    const owner = (await findNamespace(registry.ctx.db, 'owner'))!;
    await createRepositoryWithPermissions(registry.ctx.db, { namespace: owner, name: 'app', visibility: 'public', creatorId: owner.id });
    // The same registration the server runs, on a scratch Fastify instance, to know every route.
    const scratch = Fastify();
    const router = await apiRoutes(scratch, registry.ctx);
    routes = router.routes() as readonly ApiRouteSpec<never, never>[];
    await scratch.close();
    const res = await anonymous.get('/api/v1/discovery');
    expectStatus(res);
    publicDoc = res.body;
    const internal = await anonymous.get('/api/v1/discovery?internal=true');
    expectStatus(internal);
    internalDoc = internal.body;
  });

  afterAll(async () => {
    await registry?.close();
  });

  function operation(doc: Json, method: string, path: string): Json | undefined {
    return doc['paths'][path]?.[method.toLowerCase()];
  }

  it('is a Swagger 2.0 document with this registry\'s host and OAuth scopes', () => {
    expect(publicDoc).toMatchObject({
      swagger: '2.0',
      host: 'registry.example.com',
      basePath: '/',
      schemes: ['https'],
      info: { version: 'v1' },
    });
    const oauth = publicDoc['securityDefinitions']['oauth2_implicit'];
    expect(oauth).toMatchObject({ type: 'oauth2', flow: 'implicit', authorizationUrl: 'https://registry.example.com/oauth/authorize' });
    expect(Object.keys(oauth.scopes)).toEqual(expect.arrayContaining(['repo:read', 'repo:write', 'repo:admin', 'repo:create', 'super:user']));
  });

  it('lists every public route registered, and internal ones only with internal=true', () => {
    expect(routes.length).toBeGreaterThan(50);
    for (const spec of routes) {
      const inInternal = operation(internalDoc, spec.method, spec.path);
      expect(inInternal, `${spec.method} ${spec.path} with internal=true`).toBeDefined();
      const inPublic = operation(publicDoc, spec.method, spec.path);
      if (spec.internal) {
        expect(inPublic, `${spec.method} ${spec.path} is internal`).toBeUndefined();
        expect(inInternal!['x-internal']).toBe(true);
      } else {
        expect(inPublic, `${spec.method} ${spec.path}`).toBeDefined();
        expect(inPublic!['summary']).toBe(spec.summary);
        expect(inPublic!['tags']).toEqual([spec.tag]);
      }
    }
    const count = (doc: Json) =>
      Object.values(doc['paths'] as Record<string, Json>).reduce((n, item) => n + METHODS.filter((m) => item[m]).length, 0);
    expect(count(internalDoc)).toBe(routes.length);
    expect(count(publicDoc)).toBe(routes.filter((r) => !r.internal).length);
    expect(routes.some((r) => r.internal)).toBe(true);
    const tagNames = (publicDoc['tags'] as Array<{ name: string }>).map((t) => t.name);
    expect(tagNames).toEqual([...tagNames].sort());
    expect(tagNames).toEqual(expect.arrayContaining(['repository', 'user', 'organization', 'discovery']));
  });

  it('has unique operationIds, Quay\'s nicknames where routes declare them', () => {
    const ids: string[] = [];
    for (const item of Object.values(internalDoc['paths'] as Record<string, Json>)) {
      for (const m of METHODS) if (item[m]) ids.push(item[m].operationId);
    }
    expect(ids.every((id) => typeof id === 'string' && /^[A-Za-z][A-Za-z0-9]*$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(operation(publicDoc, 'GET', '/api/v1/repository')!['operationId']).toBe('listRepos');
    expect(operation(publicDoc, 'POST', '/api/v1/repository')!['operationId']).toBe('createRepo');
    expect(operation(publicDoc, 'GET', '/api/v1/repository/{repository}')!['operationId']).toBe('getRepo');
    expect(operation(publicDoc, 'GET', '/api/v1/discovery')!['operationId']).toBe('discovery');
  });

  it('declares path parameters exactly as the path names them, query parameters from the schema', () => {
    for (const [path, item] of Object.entries(internalDoc['paths'] as Record<string, Json>)) {
      const inPath = [...path.matchAll(/\{([A-Za-z_]+)\}/g)].map((m) => m[1]);
      for (const m of METHODS) {
        if (!item[m]) continue;
        const params = item[m].parameters as Json[];
        expect(params.filter((p) => p['in'] === 'path').map((p) => p['name']), `${m} ${path}`).toEqual(inPath);
        for (const p of params) {
          expect(['path', 'query', 'body'], `${m} ${path} ${p['name']}`).toContain(p['in']);
          if (p['in'] === 'path') expect(p['required']).toBe(true);
          if (p['in'] !== 'body') expect(SWAGGER_PARAMETER_TYPES, `${m} ${path} ${p['name']}`).toContain(p['type']);
        }
        expect(new Set(params.map((p) => `${p['in']}:${p['name']}`)).size).toBe(params.length);
        expect(Object.keys(item[m].responses).length).toBeGreaterThan(1);
      }
    }
    const list = operation(publicDoc, 'GET', '/api/v1/repository')!['parameters'] as Json[];
    const byName = new Map(list.map((p) => [p['name'], p]));
    expect([...byName.keys()].sort()).toEqual(['last_modified', 'namespace', 'next_page', 'popularity', 'public', 'repo_kind', 'starred']);
    expect(byName.get('public')).toMatchObject({ in: 'query', type: 'boolean', required: false, default: false });
    expect(byName.get('namespace')).toMatchObject({ in: 'query', type: 'string', required: false });
    expect(byName.get('repo_kind')).toMatchObject({ type: 'string', enum: ['image', 'application'], default: 'image' });
    const get = operation(publicDoc, 'GET', '/api/v1/repository/{repository}')!['parameters'] as Json[];
    expect(get[0]).toMatchObject({ name: 'repository', in: 'path', required: true, type: 'string' });
    expect(get.map((p) => p['name'])).toEqual(['repository', 'includeTags', 'includeStats']);
  });

  it('puts request bodies in definitions, as Swagger 2.0 schemas every $ref of which resolves', () => {
    const create = operation(publicDoc, 'POST', '/api/v1/repository')!;
    const body = (create['parameters'] as Json[]).find((p) => p['in'] === 'body')!;
    expect(body).toMatchObject({ name: 'body', required: true });
    const ref = body['schema']['$ref'] as string;
    expect(ref).toMatch(/^#\/definitions\//);
    const definition = publicDoc['definitions'][ref.slice('#/definitions/'.length)];
    expect(definition).toMatchObject({ type: 'object', required: ['repository', 'visibility'] });
    expect(definition.properties.visibility).toEqual({ type: 'string', enum: ['public', 'private'] });
    expect(definition.properties.description['x-nullable']).toBe(true);
    expect(definition.properties.description.type).toBe('string');
    expect(publicDoc['definitions']['ApiError']).toBeDefined();
    // Routes without a body have no body parameter.
    expect((operation(publicDoc, 'GET', '/api/v1/repository')!['parameters'] as Json[]).some((p) => p['in'] === 'body')).toBe(false);

    const walk = (node: unknown, where: string): void => {
      if (Array.isArray(node)) {
        for (const [i, n] of node.entries()) walk(n, `${where}[${i}]`);
      }
      if (!node || typeof node !== 'object') return;
      for (const [key, value] of Object.entries(node)) {
        if (key === 'properties') {
          for (const [name, schema] of Object.entries(value as Json)) walk(schema, `${where}.${name}`);
          continue;
        }
        expect(NOT_SWAGGER_2, `${where}.${key}`).not.toContain(key);
        if (key === '$ref') {
          const target = (value as string).replace('#/definitions/', '');
          expect(internalDoc['definitions'][target], `${where} -> ${value}`).toBeDefined();
        }
        walk(value, `${where}.${key}`);
      }
    };
    walk(internalDoc['paths'], 'paths');
    walk(internalDoc['definitions'], 'definitions');
  });

  it('every documented operation is served (no "no route" answer)', async () => {
    for (const [path, item] of Object.entries(publicDoc['paths'] as Record<string, Json>)) {
      // An existing public repository: a sub-route that did not exist would be taken for a
      // repository named after the rest of the path, and answer that this one is not found.
      const url = path.replace('{repository}', 'owner/app').replace(/\{[A-Za-z_]+\}/g, 'nothing');
      const rest = url.startsWith('/api/v1/repository/owner/app/') ? url.slice('/api/v1/repository/'.length) : undefined;
      for (const m of METHODS) {
        if (!item[m]) continue;
        const res = await anonymous.request(m.toUpperCase(), url, m === 'get' || m === 'delete' ? undefined : {});
        const message = String(res.body?.error_message ?? '');
        expect(message, `${m} ${url}`).not.toMatch(/^no route for|^no API endpoint at/);
        if (rest) expect(message, `${m} ${url}`).not.toBe(`repository ${rest.replace(/\/$/, '')} not found`);
        expect(res.status, `${m} ${url}`).not.toBe(405);
      }
    }
  });

  it("marks Quay's internal superuser log endpoint internal: the aggregate, not the listing", () => {
    expect(operation(publicDoc, 'GET', '/api/v1/superuser/logs')).toBeDefined();
    expect(operation(publicDoc, 'GET', '/api/v1/superuser/aggregatelogs')).toBeUndefined();
    expect(operation(internalDoc, 'GET', '/api/v1/superuser/aggregatelogs')!['x-internal']).toBe(true);
  });

  it('refuses a malformed internal flag (400)', async () => {
    expectApiError(await anonymous.get('/api/v1/discovery?internal=perhaps'), 400);
  });

  describe('GET /api/v1/error/{error_type}', () => {
    it('describes a known error type, at the URL errors point to', async () => {
      const missing = await anonymous.get('/api/v1/repository/nobody/nothing');
      expectApiError(missing, 404);
      expect(missing.body.type).toBe('https://registry.example.com/api/v1/error/not_found');
      const res = await anonymous.get('/api/v1/error/not_found');
      expectStatus(res);
      expect(res.body).toEqual({
        type: 'https://registry.example.com/api/v1/error/not_found',
        title: 'not_found',
        description: expect.stringMatching(/\w/),
      });
      expectStatus(await anonymous.get('/api/v1/error/insufficient_scope'));
    });

    it('is 404 for an unknown type', async () => {
      expectApiError(await anonymous.get('/api/v1/error/no_such_error'), 404);
      expectApiError(await anonymous.get('/api/v1/error/constructor'), 404);
    });
  });
});

describe('discovery document without SERVER_HOSTNAME', () => {
  let registry: TestRegistry;

  beforeAll(async () => {
    registry = await startTestRegistry();
  });

  afterAll(async () => {
    await registry?.close();
  });

  async function discovery(host: string): Promise<{ status: number; body: Json }> {
    const res = await registry.app.server.inject({ method: 'GET', url: '/api/v1/discovery', headers: { host } });
    return { status: res.statusCode, body: res.json() };
  }

  it("follows the Host header, the routes' part the same for every host", async () => {
    const first = await discovery('first.example:8443');
    const second = await discovery('second.example');
    expect(first.status).toBe(200);
    expect(first.body['host']).toBe('first.example:8443');
    expect(first.body['securityDefinitions']['oauth2_implicit']['authorizationUrl']).toBe('http://first.example:8443/oauth/authorize');
    expect(second.body['host']).toBe('second.example');
    expect(second.body['paths']).toEqual(first.body['paths']);
    expect(second.body['definitions']).toEqual(first.body['definitions']);
  });

  it('answers a malformed Host header with a document that leaves the host out (not a 500)', async () => {
    const res = await discovery('bad host');
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('host');
    expect(res.body['schemes']).toEqual(['http']);
    expect(res.body['securityDefinitions']['oauth2_implicit']['authorizationUrl']).toBe('/oauth/authorize');
    expect(Object.keys(res.body['paths']).length).toBeGreaterThan(50);
  });
});
