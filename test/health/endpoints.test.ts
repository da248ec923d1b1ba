import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY_TOKEN_ISSUER } from '../../src/auth/registry-jwt.js';
import { type ApiClient, type ApiResponse, anonymousClient, sessionClient, tokenClient } from '../helpers/api.js';
import { testDialects } from '../helpers/databases.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';

/**
 * /health, /health/instance, /status, /health/endtoend and /health/warning: Quay's envelope, the
 * services each one checks, superuser-only diagnostics, and 503 naming the service that fails.
 */

const INSTANCE_SERVICES = ['auth', 'database', 'disk_space', 'service_key'];
const ENDTOEND_SERVICES = ['auth', 'database', 'storage'];

function expectHealth(res: ApiResponse, status: 200 | 503, services: Record<string, boolean>): void {
  expect(res.status, res.describe()).toBe(status);
  expect(res.body, res.describe()).toMatchObject({ status_code: status, data: { services } });
  expect(Object.keys(res.body.data.services).sort(), res.describe()).toEqual(Object.keys(services).sort());
}

function allTrue(names: readonly string[]): Record<string, boolean> {
  return Object.fromEntries(names.map((name) => [name, true]));
}

describe.each(testDialects())('health endpoints (%s)', (dialect) => {
  let registry: TestRegistry;
  let anonymous: ApiClient;
  let root: ApiClient;
  let alice: ApiClient;
  let secondStoragePath: string;

  beforeAll(async () => {
    registry = await startTestRegistry({
      dialect,
      overrides: {
        SUPER_USERS: ['root'],
        DISTRIBUTED_STORAGE_CONFIG: {
          local_us: ['LocalStorage', { storage_path: 'storage' }],
          second: ['LocalStorage', { storage_path: 'second-storage' }],
        },
        DISTRIBUTED_STORAGE_PREFERENCE: ['local_us'],
        // Healthy whatever the free space of the machine running the tests.
        DISKSPACE_HEALTH_THRESHOLD: 0,
        DISKSPACE_HEALTH_WARNING_THRESHOLD: 0,
      },
    });
    secondStoragePath = path.join(registry.dataDir, 'second-storage');
    await registry.createUser('root', 'root-password');
    await registry.createUser('alice', 'alice-password');
    anonymous = anonymousClient(registry);
    root = await sessionClient(registry, 'root');
    alice = await sessionClient(registry, 'alice');
  });

  afterAll(async () => {
    await registry?.close();
  });

  it('answers /health and /health/instance with the instance checks, all passing, to anonymous probes', async () => {
    for (const url of ['/health', '/health/instance']) {
      const res = await anonymous.get(url);
      expectHealth(res, 200, allTrue(INSTANCE_SERVICES));
      expect(res.body.data, res.describe()).not.toHaveProperty('services_expanded');
      expect(res.body.data, res.describe()).not.toHaveProperty('hostname');
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('answers /status and /health/endtoend with database, auth and storage', async () => {
    for (const url of ['/status', '/health/endtoend']) {
      expectHealth(await anonymous.get(url), 200, allTrue(ENDTOEND_SERVICES));
    }
  });

  it('answers /health/warning with the disk space warning check', async () => {
    expectHealth(await anonymous.get('/health/warning'), 200, { disk_space_warning: true });
  });

  it('shows each check expanded, the host name and the signing key id to a superuser only', async () => {
    const viaToken = await tokenClient(registry, 'root', ['super:user']);
    for (const client of [root, viaToken]) {
      const res = await client.get('/health/instance');
      expectHealth(res, 200, allTrue(INSTANCE_SERVICES));
      expect(res.body.data.services_expanded, res.describe()).toEqual(
        Object.fromEntries(INSTANCE_SERVICES.map((name) => [name, { status: true }])),
      );
      expect(res.body.data.hostname).toEqual(expect.any(String));
      expect(res.body.data.local_service_key_id).toBe(registry.ctx.tokens.keyId);
    }
    const withoutSuperScope = await tokenClient(registry, 'root', ['repo:read']);
    for (const client of [alice, withoutSuperScope]) {
      const res = await client.get('/health/instance');
      expectHealth(res, 200, allTrue(INSTANCE_SERVICES));
      expect(res.body.data, res.describe()).not.toHaveProperty('services_expanded');
    }
  });

  it('ignores a bad credential instead of refusing the probe', async () => {
    const res = await anonymous.request('GET', '/health/instance', undefined, { authorization: 'Bearer not-a-token' });
    expectHealth(res, 200, allTrue(INSTANCE_SERVICES));
    expect(res.body.data).not.toHaveProperty('services_expanded');
  });

  it('turns /health/endtoend 503 naming storage and the location while one location is unusable, 200 once it is back', async () => {
    await rm(secondStoragePath, { recursive: true, force: true });
    await writeFile(secondStoragePath, 'a regular file where the storage directory should be\n');
    try {
      const asRoot = await root.get('/health/endtoend');
      expectHealth(asRoot, 503, { auth: true, database: true, storage: false });
      const failure: string = asRoot.body.data.services_expanded.storage.failure;
      expect(asRoot.body.data.services_expanded.storage.status).toBe(false);
      expect(failure).toMatch(/storage location "second"/);
      expect(failure).not.toMatch(/"local_us"/);

      const asProbe = await anonymous.get('/status');
      expectHealth(asProbe, 503, { auth: true, database: true, storage: false });
      expect(asProbe.body.data).not.toHaveProperty('services_expanded');
      // Storage is not an instance check.
      expectHealth(await anonymous.get('/health/instance'), 200, allTrue(INSTANCE_SERVICES));
    } finally {
      await rm(secondStoragePath, { force: true });
    }
    expectHealth(await anonymous.get('/health/endtoend'), 200, allTrue(ENDTOEND_SERVICES));
  });

  it('leaves storage out of /health/endtoend while the registry is read-only, and says so to superusers', async () => {
    registry.ctx.config.REGISTRY_STATE = 'readonly';
    try {
      expectHealth(await anonymous.get('/health/endtoend'), 200, { auth: true, database: true });
      const res = await root.get('/health/endtoend');
      expect(res.body.data.notes, res.describe()).toEqual([expect.stringMatching(/storage.*readonly/)]);
    } finally {
      registry.ctx.config.REGISTRY_STATE = 'normal';
    }
  });

  it('fails disk_space at a 100% threshold and disk_space_warning at a 100% warning threshold', async () => {
    registry.ctx.config.DISKSPACE_HEALTH_THRESHOLD = 100;
    registry.ctx.config.DISKSPACE_HEALTH_WARNING_THRESHOLD = 100;
    try {
      const instance = await root.get('/health/instance');
      expectHealth(instance, 503, { ...allTrue(INSTANCE_SERVICES), disk_space: false });
      expect(instance.body.data.services_expanded.disk_space.failure).toMatch(/% free .* below the 100% threshold/);
      expectHealth(await anonymous.get('/health/warning'), 503, { disk_space_warning: false });
      // The warning threshold alone does not fail the instance, nor the other way round.
      registry.ctx.config.DISKSPACE_HEALTH_THRESHOLD = 0;
      expectHealth(await anonymous.get('/health/instance'), 200, allTrue(INSTANCE_SERVICES));
    } finally {
      registry.ctx.config.DISKSPACE_HEALTH_THRESHOLD = 0;
      registry.ctx.config.DISKSPACE_HEALTH_WARNING_THRESHOLD = 0;
    }
    expectHealth(await anonymous.get('/health/warning'), 200, { disk_space_warning: true });
  });

  it('fails service_key while the instance signing key is not approved', async () => {
    const { db, tokens } = registry.ctx;
    const key = db.updateTable('service_key').where('kid', '=', tokens.keyId).where('service', '=', REGISTRY_TOKEN_ISSUER);
    const before = await db.selectFrom('service_key').select('approval_type').where('kid', '=', tokens.keyId).executeTakeFirstOrThrow();
    await key.set({ approval_type: null }).execute();
    try {
      const res = await root.get('/health/instance');
      expectHealth(res, 503, { ...allTrue(INSTANCE_SERVICES), service_key: false });
      expect(res.body.data.services_expanded.service_key.failure).toMatch(/waiting for approval/);
    } finally {
      await key.set({ approval_type: before.approval_type }).execute();
    }
    expectHealth(await anonymous.get('/health/instance'), 200, allTrue(INSTANCE_SERVICES));
  });
});
