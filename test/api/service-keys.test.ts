import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNamespace } from '../../src/model/namespaces.js';
import { getServiceKey, insertServiceKey, SERVICE_KEY_APPROVAL } from '../../src/model/service-keys.js';
import { type ApiClient, anonymousClient, expectApiError, expectStatus, sessionClient, tokenClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/**
 * Service keys in the superuser API: GET|POST /api/v1/superuser/keys, GET|PUT|DELETE
 * /api/v1/superuser/keys/{kid}, POST /api/v1/superuser/approvedkeys/{kid}; and the registry's own
 * token keys, which live in the same table.
 */

const IN_A_DAY_S = () => Math.floor(Date.now() / 1000) + 86_400;

async function logEntries(registry: TestRegistry, kind: string) {
  const rows = await registry.ctx.db.selectFrom('log_entry').selectAll().where('kind', '=', kind).orderBy('id').execute();
  return rows.map((row) => ({ ...row, metadata: JSON.parse(row.metadata) as Record<string, unknown> }));
}

async function keyCount(registry: TestRegistry): Promise<number> {
  return (await registry.ctx.db.selectFrom('service_key').select('kid').execute()).length;
}

/** A key pair made outside the registry, as another service would, with its public JWK. */
function externalKeyPair(kid: string): { privateKey: KeyObject; jwk: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const { kty, n, e } = publicKey.export({ format: 'jwk' });
  return { privateKey, jwk: { kty, n, e, kid } };
}

/** A registry bearer token for `username`, signed with `privateKey` under `kid`, as the registry itself signs them. */
async function registryToken(registry: TestRegistry, username: string, kid: string, privateKey: KeyObject): Promise<string> {
  const user = await findNamespace(registry.ctx.db, username);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ access: [], context: { version: 2, entity_kind: 'user', entity_reference: user?.uuid, kind: 'user', user: username } })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .setIssuer('quay')
    .setAudience(registry.host)
    .setSubject(username)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + 300)
    .sign(privateKey);
}

describe.each(testDialects())('service keys (%s)', (dialect) => {
  let registry: TestRegistry;
  let root: ApiClient;
  let auditor: ApiClient;
  let alice: ApiClient;
  let created: { kid: string; private_key: string; public_key: string; name: string; service: string };

  beforeAll(async () => {
    registry = await startTestRegistry({
      dialect,
      overrides: { SUPER_USERS: ['root'], GLOBAL_READONLY_SUPER_USERS: ['auditor'] },
    });
    await registry.createUser('root', 'root-password', { email: 'root@example.com' });
    await registry.createUser('auditor', 'auditor-password');
    await registry.createUser('alice', 'alice-password');
    root = await sessionClient(registry, 'root');
    auditor = await sessionClient(registry, 'auditor');
    alice = await sessionClient(registry, 'alice');
    const res = await root.post('/api/v1/superuser/keys', {
      service: 'builder',
      name: 'build worker: eu/1',
      metadata: { owner: 'ops' },
      notes: 'for the build cluster',
      expiration: IN_A_DAY_S(),
    });
    expectStatus(res, 200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    created = res.body;
  });
  afterAll(async () => {
    await registry?.close();
  });

  describe('creating', () => {
    it('returns the key id, the public key and, this once, the private key', () => {
      expect(created).toEqual({
        kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        name: 'build worker: eu/1',
        service: 'builder',
        public_key: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----\n/),
        private_key: expect.stringMatching(/^-----BEGIN RSA PRIVATE KEY-----\n/),
      });
    });

    it('the private key signs JWTs that verify against the listed JWK', async () => {
      const jwt = await new SignJWT({ purpose: 'test' })
        .setProtectedHeader({ alg: 'RS256', kid: created.kid })
        .setIssuer('builder')
        .sign(createPrivateKey(created.private_key));
      const listed = await root.get('/api/v1/superuser/keys');
      expectStatus(listed, 200);
      const key = listed.body.keys.find((k: { kid: string }) => k.kid === created.kid);
      expect(key.jwk).toMatchObject({ kty: 'RSA', kid: created.kid });
      const { payload } = await jwtVerify(jwt, await importJWK(key.jwk as JWK, 'RS256'));
      expect(payload['purpose']).toBe('test');
    });

    it('is approved by its creator at once, and shows the metadata, notes and dates Quay shows', async () => {
      const res = await root.get(`/api/v1/superuser/keys/${created.kid}`);
      expectStatus(res, 200);
      expect(res.body).toEqual({
        name: 'build worker: eu/1',
        kid: created.kid,
        service: 'builder',
        jwk: expect.objectContaining({ kty: 'RSA' }),
        metadata: { owner: 'ops', created_by: 'Quay Superuser Panel', creator: 'root', ip: expect.any(String) },
        created_date: expect.stringMatching(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/),
        expiration_date: expect.stringMatching(/ GMT$/),
        rotation_duration: null,
        approval: {
          approver: expect.objectContaining({ kind: 'user', username: 'root', super_user: true }),
          approval_type: 'ServiceKeyApprovalType.SUPERUSER',
          approved_date: expect.stringMatching(/ GMT$/),
          notes: 'for the build cluster',
        },
      });
    });

    it('never stores or shows the private key again', async () => {
      const row = await registry.ctx.db.selectFrom('service_key').selectAll().where('kid', '=', created.kid).executeTakeFirst();
      expect(Object.keys(JSON.parse(row?.jwk ?? '{}')).sort()).toEqual(['e', 'kid', 'kty', 'n']);
      const privateBody = created.private_key.split('\n')[1] ?? '';
      for (const res of [await root.get('/api/v1/superuser/keys'), await root.get(`/api/v1/superuser/keys/${created.kid}`)]) {
        expect(JSON.stringify(res.body)).not.toContain('PRIVATE');
        expect(JSON.stringify(res.body)).not.toContain(privateBody);
      }
      const logs = await registry.ctx.db.selectFrom('log_entry').select('metadata').execute();
      expect(JSON.stringify(logs)).not.toContain(privateBody);
    });

    it('logs the creation and the automatic approval', async () => {
      for (const kind of ['service_key_create', 'service_key_approve']) {
        const entries = (await logEntries(registry, kind)).filter((e) => e.metadata['kid'] === created.kid);
        expect(entries).toHaveLength(1);
        expect(entries[0]?.metadata).toMatchObject({ service: 'builder', name: 'build worker: eu/1', preshared: true, auto_approved: true });
        expect(entries[0]?.performer_id).toBe((await findNamespace(registry.ctx.db, 'root'))?.id);
      }
    });

    it('accepts a key that never expires', async () => {
      const res = await root.post('/api/v1/superuser/keys', { service: 'forever', expiration: null });
      expectStatus(res, 200);
      expect((await getServiceKey(registry.ctx.db, res.body.kid))?.expiresAt).toBeNull();
    });

    it.each([
      ['no service', { expiration: null }],
      ['no expiration', { service: 'builder' }],
      ['a service name with capitals and spaces', { service: 'Build Worker', expiration: null }],
      ['a friendly name with forbidden characters', { service: 'builder', name: '<script>', expiration: null }],
      ['an expiration in the past', { service: 'builder', expiration: 1_000_000 }],
      ['an expiration that is not a number', { service: 'builder', expiration: 'tomorrow' }],
      ['metadata that is not an object', { service: 'builder', metadata: 'x', expiration: null }],
    ])('rejects %s with 400 and creates nothing', async (_what, body) => {
      const before = await keyCount(registry);
      expectApiError(await root.post('/api/v1/superuser/keys', body), 400);
      expect(await keyCount(registry)).toBe(before);
    });
  });

  describe('who may call', () => {
    it.each([
      ['GET', '/api/v1/superuser/keys'],
      ['POST', '/api/v1/superuser/keys'],
      ['GET', '/api/v1/superuser/keys/{kid}'],
      ['PUT', '/api/v1/superuser/keys/{kid}'],
      ['DELETE', '/api/v1/superuser/keys/{kid}'],
      ['POST', '/api/v1/superuser/approvedkeys/{kid}'],
    ])('%s %s: 401 anonymous, 403 for a normal user and a token without super:user', async (method, template) => {
      const path = template.replace('{kid}', created.kid);
      const body = method === 'POST' ? { service: 'intruder', expiration: null } : method === 'PUT' ? { name: 'stolen' } : undefined;
      const before = await keyCount(registry);
      expectApiError(await anonymousClient(registry).request(method, path, body), 401);
      expectApiError(await alice.request(method, path, body), 403);
      expectApiError(await (await tokenClient(registry, 'root', ['user:admin'])).request(method, path, body), 403);
      expect(await keyCount(registry)).toBe(before);
      expect((await getServiceKey(registry.ctx.db, created.kid))?.name).toBe('build worker: eu/1');
    });

    it('a global read-only superuser may list and read keys but change nothing', async () => {
      expectStatus(await auditor.get('/api/v1/superuser/keys'), 200);
      expectStatus(await auditor.get(`/api/v1/superuser/keys/${created.kid}`), 200);
      const before = await keyCount(registry);
      expectApiError(await auditor.post('/api/v1/superuser/keys', { service: 'intruder', expiration: null }), 403);
      expectApiError(await auditor.put(`/api/v1/superuser/keys/${created.kid}`, { name: 'stolen' }), 403);
      expectApiError(await auditor.delete(`/api/v1/superuser/keys/${created.kid}`), 403);
      expectApiError(await auditor.post(`/api/v1/superuser/approvedkeys/${created.kid}`, {}), 403);
      expect(await keyCount(registry)).toBe(before);
      expect((await getServiceKey(registry.ctx.db, created.kid))?.name).toBe('build worker: eu/1');
    });

    it('a token with super:user may list keys', async () => {
      const token = await tokenClient(registry, 'root', ['super:user']);
      expect((await token.get('/api/v1/superuser/keys')).body.keys.map((k: { kid: string }) => k.kid)).toContain(created.kid);
    });
  });

  describe('approval', () => {
    it('lists a key submitted by another service with approval null; a superuser approves it once', async () => {
      const { jwk } = externalKeyPair('submitted-1');
      await insertServiceKey(registry.ctx.db, { kid: 'submitted-1', service: 'scanner', name: 'scanner', jwk, metadata: {}, expiresAt: null });
      const listed = (await root.get('/api/v1/superuser/keys')).body.keys.find((k: { kid: string }) => k.kid === 'submitted-1');
      expect(listed.approval).toBeNull();

      const approved = await root.post('/api/v1/superuser/approvedkeys/submitted-1', { notes: 'checked with the scanner team' });
      expectStatus(approved, 201);
      const res = await root.get('/api/v1/superuser/keys/submitted-1');
      expect(res.body.approval).toMatchObject({
        approver: expect.objectContaining({ username: 'root' }),
        approval_type: 'ServiceKeyApprovalType.SUPERUSER',
        notes: 'checked with the scanner team',
      });
      // Approving again succeeds, changes nothing and logs nothing more.
      expectStatus(await root.post('/api/v1/superuser/approvedkeys/submitted-1', { notes: 'again' }), 201);
      expect((await getServiceKey(registry.ctx.db, 'submitted-1'))?.approval?.notes).toBe('checked with the scanner team');
      expect((await logEntries(registry, 'service_key_approve')).filter((e) => e.metadata['kid'] === 'submitted-1')).toHaveLength(1);
    });

    it('answers 404 for unknown keys and 400 for notes that are not text', async () => {
      expectApiError(await root.post('/api/v1/superuser/approvedkeys/no-such-key', {}), 404);
      expectApiError(await root.post(`/api/v1/superuser/approvedkeys/${created.kid}`, { notes: 5 }), 400);
    });

    it('a registry token signed by a key waiting for approval is refused; once approved it is accepted', async () => {
      const { privateKey, jwk } = externalKeyPair('pending-quay-key');
      await insertServiceKey(registry.ctx.db, {
        kid: 'pending-quay-key',
        service: 'quay',
        name: 'pending',
        jwk,
        metadata: {},
        expiresAt: Date.now() + 3_600_000,
      });
      const client = new RegistryClient(registry.url);
      const token = await registryToken(registry, 'root', 'pending-quay-key', privateKey);
      expect((await client.get('/v2/', { auth: { bearer: token } })).status).toBe(401);
      expectStatus(await root.post('/api/v1/superuser/approvedkeys/pending-quay-key', {}), 201);
      const fresh = await registryToken(registry, 'root', 'pending-quay-key', privateKey);
      const accepted = await client.get('/v2/', { auth: { bearer: fresh } });
      expect(accepted.status, accepted.describe()).toBe(200);
    });
  });

  describe('changing', () => {
    it('renames, merges metadata and re-dates a key, logging modify and extend', async () => {
      const expiration = IN_A_DAY_S() + 3600;
      const res = await root.put(`/api/v1/superuser/keys/${created.kid}`, {
        name: 'renamed key',
        metadata: { team: 'platform' },
        expiration,
      });
      expectStatus(res, 200);
      expect(res.body).toMatchObject({
        kid: created.kid,
        name: 'renamed key',
        metadata: { owner: 'ops', team: 'platform', creator: 'root' },
        expiration_date: new Date(expiration * 1000).toUTCString(),
      });
      const extend = (await logEntries(registry, 'service_key_extend')).filter((e) => e.metadata['kid'] === created.kid);
      expect(extend.at(-1)?.metadata).toMatchObject({ expiration_date: expiration, old_expiration_date: expect.any(Number) });
      const modify = (await logEntries(registry, 'service_key_modify')).filter((e) => e.metadata['kid'] === created.kid);
      expect(modify.at(-1)?.metadata).toMatchObject({ name: 'renamed key', service: 'builder' });
    });

    it('clears the expiration with null (or an empty string, as Quay accepts)', async () => {
      expectStatus(await root.put(`/api/v1/superuser/keys/${created.kid}`, { expiration: null }), 200);
      expect((await getServiceKey(registry.ctx.db, created.kid))?.expiresAt).toBeNull();
      await root.put(`/api/v1/superuser/keys/${created.kid}`, { expiration: IN_A_DAY_S() });
      const res = await root.put(`/api/v1/superuser/keys/${created.kid}`, { expiration: '' });
      expectStatus(res, 200);
      expect(res.body.expiration_date).toBeNull();
    });

    it.each([
      ['an expiration in the past', { name: 'should not stick', expiration: 1_000_000 }],
      ['a name with forbidden characters', { name: 'a;b', expiration: null }],
      ['metadata that is not an object', { name: 'should not stick', metadata: [1, 2] }],
    ])('rejects %s with 400 and changes nothing', async (_what, body) => {
      const before = await getServiceKey(registry.ctx.db, created.kid);
      expectApiError(await root.put(`/api/v1/superuser/keys/${created.kid}`, body), 400);
      expect(await getServiceKey(registry.ctx.db, created.kid)).toEqual(before);
    });

    it('answers 404 for unknown keys', async () => {
      expectApiError(await root.get('/api/v1/superuser/keys/no-such-key'), 404);
      expectApiError(await root.put('/api/v1/superuser/keys/no-such-key', { name: 'x' }), 404);
    });
  });

  describe('deleting', () => {
    it('deletes a key (204), logs it, and the key is gone', async () => {
      const res = await root.post('/api/v1/superuser/keys', { service: 'shortlived', name: 'temp', expiration: null });
      expectStatus(await root.delete(`/api/v1/superuser/keys/${res.body.kid}`), 204);
      expectApiError(await root.get(`/api/v1/superuser/keys/${res.body.kid}`), 404);
      const entries = (await logEntries(registry, 'service_key_delete')).filter((e) => e.metadata['kid'] === res.body.kid);
      expect(entries.map((e) => e.metadata)).toEqual([
        { kid: res.body.kid, service: 'shortlived', name: 'temp', expiration_date: null, created_date: expect.any(Number) },
      ]);
      expectApiError(await root.delete(`/api/v1/superuser/keys/${res.body.kid}`), 404);
    });
  });

  describe("the registry's own token keys", () => {
    it('are listed as approved automatically, for service quay', async () => {
      const keys = (await root.get('/api/v1/superuser/keys')).body.keys.filter((k: { service: string }) => k.service === 'quay');
      const automatic = keys.filter(
        (k: { approval: { approval_type: string } | null }) => k.approval?.approval_type === SERVICE_KEY_APPROVAL.automatic,
      );
      expect(automatic.length).toBeGreaterThanOrEqual(1);
      expect(automatic[0]).toMatchObject({ approval: { approver: null }, expiration_date: expect.stringMatching(/ GMT$/) });
    });

    it('still sign the tokens of the docker token flow, which /v2/ accepts', async () => {
      const client = new RegistryClient(registry.url, basicAuth('alice', 'alice-password'));
      const withToken = await client.withToken(['repository:alice/app:pull,push']);
      const res = await withToken.get('/v2/');
      expect(res.status, res.describe()).toBe(200);
    });
  });
});
