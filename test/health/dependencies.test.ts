import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, anonymousClient, sessionClient } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/registry.js';
import { ldapConfig, slapdAvailable, startSlapd, type TestSlapd } from '../helpers/slapd.js';

/**
 * The auth check against a real LDAP directory, and dependencies that hang: the endpoints answer
 * with the service failed instead of waiting, and no configured secret appears in the answer.
 * These checks do not touch the metadata database, so SQLite alone is enough.
 */

const RUN_LDAP = slapdAvailable();
const S3_ACCESS_KEY = 'HEALTHACCESSKEY';
const S3_SECRET_KEY = 'health-s3-secret-key-value';
const LDAP_PASSWORD = 'health-ldap-admin-password';

/** Accepts TCP connections and never says a word: a dependency that hangs. */
async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return {
    port: address.port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('health of dependencies that hang', () => {
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  let registry: TestRegistry;
  let root: ApiClient;

  beforeAll(async () => {
    silent = await startSilentServer();
    const hungUrl = `127.0.0.1:${silent.port}`;
    registry = await startTestRegistry({
      overrides: {
        SUPER_USERS: ['root'],
        AUTHENTICATION_TYPE: 'LDAP',
        LDAP_URI: `ldap://${hungUrl}`,
        LDAP_BASE_DN: ['dc=example', 'dc=org'],
        LDAP_USER_RDN: ['ou=people'],
        LDAP_ADMIN_DN: 'cn=admin,dc=example,dc=org',
        LDAP_ADMIN_PASSWD: LDAP_PASSWORD,
        LDAP_UID_ATTR: 'uid',
        LDAP_EMAIL_ATTR: 'mail',
        // Far longer than the health check waits.
        LDAP_TIMEOUT: 120,
        LDAP_NETWORK_TIMEOUT: 120,
        DISTRIBUTED_STORAGE_CONFIG: {
          local_us: ['LocalStorage', { storage_path: 'storage' }],
          hung_s3: [
            'S3Storage',
            {
              s3_bucket: 'registry',
              storage_path: '/registry',
              s3_access_key: S3_ACCESS_KEY,
              s3_secret_key: S3_SECRET_KEY,
              endpoint_url: `http://${hungUrl}`,
            },
          ],
        },
        DISTRIBUTED_STORAGE_PREFERENCE: ['local_us'],
      },
    });
    await registry.createUser('root', 'root-password');
    root = await sessionClient(registry, 'root');
  });

  afterAll(async () => {
    await registry?.close();
    await silent?.close();
  });

  it('answers 503 naming auth and the hung storage location, quoting no secret; probes see the booleans only', async () => {
    const [endToEnd, instance, probe] = await Promise.all([
      root.get('/health/endtoend'),
      root.get('/health/instance'),
      anonymousClient(registry).get('/health/endtoend'),
    ]);
    expect(endToEnd.status, endToEnd.describe()).toBe(503);
    expect(endToEnd.body.data.services).toEqual({ database: true, auth: false, storage: false });
    const expanded = endToEnd.body.data.services_expanded;
    expect(expanded.auth.failure).toMatch(/no answer within/);
    expect(expanded.storage.failure).toMatch(/storage location "hung_s3" \(S3Storage\) gave no answer within/);
    expect(expanded.storage.failure).not.toMatch(/local_us/);

    expect(instance.status, instance.describe()).toBe(503);
    expect(instance.body.data.services).toEqual({ database: true, disk_space: expect.any(Boolean), service_key: true, auth: false });

    for (const text of [JSON.stringify(endToEnd.body), JSON.stringify(instance.body)]) {
      for (const secret of [S3_ACCESS_KEY, S3_SECRET_KEY, LDAP_PASSWORD]) expect(text).not.toContain(secret);
    }

    expect(probe.status, probe.describe()).toBe(503);
    expect(probe.body).toEqual({ data: { services: { database: true, auth: false, storage: false } }, status_code: 503 });
  });
});

describe.skipIf(!RUN_LDAP)('the auth check against an LDAP directory', () => {
  let slapd: TestSlapd;
  let registry: TestRegistry;
  let wrongPassword: TestRegistry;

  beforeAll(async () => {
    slapd = await startSlapd();
    const common = { SUPER_USERS: ['root'], DISKSPACE_HEALTH_THRESHOLD: 0 };
    registry = await startTestRegistry({ overrides: { ...ldapConfig(slapd), ...common } });
    wrongPassword = await startTestRegistry({
      overrides: { ...ldapConfig(slapd, { LDAP_ADMIN_PASSWD: LDAP_PASSWORD }), ...common },
    });
    await wrongPassword.createUser('root', 'root-password');
  });

  afterAll(async () => {
    await registry?.close();
    await wrongPassword?.close();
    await slapd?.stop();
  });

  it('fails when the directory refuses the administrator password, without quoting it', async () => {
    const res = await (await sessionClient(wrongPassword, 'root')).get('/health/instance');
    expect(res.status, res.describe()).toBe(503);
    expect(res.body.data.services.auth).toBe(false);
    expect(res.body.data.services_expanded.auth.failure).toMatch(/refused LDAP_ADMIN_DN/);
    expect(JSON.stringify(res.body)).not.toContain(LDAP_PASSWORD);
  });

  it('passes while the directory accepts LDAP_ADMIN_DN, and fails once it is gone', async () => {
    const probe = anonymousClient(registry);
    const up = await probe.get('/health/instance');
    expect(up.status, up.describe()).toBe(200);
    expect(up.body.data.services.auth).toBe(true);

    await slapd.stop();
    const down = await probe.get('/health/endtoend');
    expect(down.status, down.describe()).toBe(503);
    expect(down.body.data.services).toEqual({ database: true, auth: false, storage: true });
  });
});
