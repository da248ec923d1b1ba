import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type App, createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { findNamespace } from '../../src/model/namespaces.js';
import { createPostgresDatabase, type TestDialect, testDialects } from '../helpers/databases.js';
import { basicAuth, RegistryClient } from '../helpers/http.js';
import { ldapConfig, slapdAvailable, startSlapd, type TestSlapd } from '../helpers/slapd.js';

/**
 * ldaps:// with the server's certificate trusted through the config directory's extra_ca_certs/,
 * as an operator sets it up: a config.yaml and the CA file beside it.
 */

const RUN = slapdAvailable();

let slapd: TestSlapd;
beforeAll(async () => {
  if (RUN) slapd = await startSlapd();
});
afterAll(async () => {
  await slapd?.stop();
});

interface Instance {
  app: App;
  v2: RegistryClient;
  close(): Promise<void>;
}

/** The real app started from a config directory holding config.yaml and, optionally, extra_ca_certs/. */
async function startInstance(
  dialect: TestDialect,
  keys: Record<string, unknown>,
  extraCaCerts: Record<string, string>,
): Promise<Instance> {
  const configDir = await mkdtemp(path.join(tmpdir(), 'quayside-ldaps-conf-'));
  const dataDir = await mkdtemp(path.join(tmpdir(), 'quayside-ldaps-data-'));
  await writeFile(path.join(configDir, 'config.yaml'), stringify(keys));
  if (Object.keys(extraCaCerts).length > 0) {
    await mkdir(path.join(configDir, 'extra_ca_certs'));
    for (const [file, pem] of Object.entries(extraCaCerts)) await writeFile(path.join(configDir, 'extra_ca_certs', file), pem);
  }
  const overrides: Record<string, unknown> = {};
  let drop: (() => Promise<void>) | undefined;
  if (dialect === 'postgres') {
    const database = await createPostgresDatabase();
    overrides['DB_URI'] = database.uri;
    drop = database.drop;
  }
  const app = await createApp(loadConfig({ configDir, dataDir, overrides, env: {} }), { logLevel: 'silent' });
  await app.server.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.server.address() as AddressInfo;
  return {
    app,
    v2: new RegistryClient(`http://127.0.0.1:${port}`),
    async close() {
      await app.close();
      await drop?.();
      await rm(configDir, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

describe.skipIf(!RUN).each(testDialects())('LDAP over ldaps:// (%s)', (dialect) => {
  const instances: Instance[] = [];
  async function start(extra: Record<string, unknown>, certs: Record<string, string>): Promise<Instance> {
    const instance = await startInstance(dialect, ldapConfig(slapd, { LDAP_URI: slapd.ldapsUrl, ...extra }), certs);
    instances.push(instance);
    return instance;
  }
  afterAll(async () => {
    for (const instance of instances) await instance.close();
  });

  it('signs in when the server certificate is in extra_ca_certs/', async () => {
    const instance = await start({}, { 'ldap-ca.crt': slapd.certificatePem, 'notes.txt': 'ignored' });
    const res = await instance.v2.as(basicAuth('alice', 'alice-password')).get('/v2/');
    expect(res.status, res.describe()).toBe(200);
    expect(await findNamespace(instance.app.ctx.db, 'alice')).toMatchObject({ email: 'alice@example.org' });
    expect((await instance.v2.as(basicAuth('alice', 'wrong-password')).get('/v2/')).status).toBe(401);
  });

  it('accepts a .pem file too', async () => {
    const instance = await start({}, { 'ldap-ca.pem': slapd.certificatePem });
    expect((await instance.v2.as(basicAuth('bob', 'bob-password')).get('/v2/')).status).toBe(200);
  });

  it('refuses to talk to a server whose certificate is not trusted', async () => {
    const instance = await start({}, {});
    const res = await instance.v2.as(basicAuth('alice', 'alice-password')).get('/v2/');
    expect(res.status).toBe(401);
    expect(await findNamespace(instance.app.ctx.db, 'alice')).toBeUndefined();
  });

  it('accepts an untrusted certificate with LDAP_ALLOW_INSECURE_FALLBACK', async () => {
    const instance = await start({ LDAP_ALLOW_INSECURE_FALLBACK: true }, {});
    expect((await instance.v2.as(basicAuth('alice', 'alice-password')).get('/v2/')).status).toBe(200);
  });
});
