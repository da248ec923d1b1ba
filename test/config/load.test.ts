import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseByteSize } from '../../src/config/load.js';

async function configDir(yaml: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'quayside-config-'));
  await writeFile(path.join(dir, 'config.yaml'), yaml);
  return dir;
}

function problemsOf(fn: () => unknown): Array<{ key: string; message: string }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses the embedded profile when there is no config file', () => {
    const config = loadConfig({ dataDir: '/tmp/qs-data', env: {} });
    expect(config.embedded).toBe(true);
    expect(config.database).toEqual({ kind: 'sqlite', path: '/tmp/qs-data/quayside.db' });
    expect(config.storage.preference).toEqual(['local_us']);
    expect(config.storage.locations['local_us']).toEqual(['LocalStorage', { storage_path: '/tmp/qs-data/storage' }]);
    expect(config.FEATURE_ANONYMOUS_ACCESS).toBe(true);
    expect(config.CREATE_PRIVATE_REPO_ON_PUSH).toBe(true);
    expect(config.maxLayerBytes).toBe(20 * 1024 ** 3);
  });

  it('reads Quay keys from config.yaml', async () => {
    const dir = await configDir(
      [
        'SERVER_HOSTNAME: registry.example.com',
        'PREFERRED_URL_SCHEME: https',
        'DB_URI: postgresql://quay:secret@db/quay',
        'DISTRIBUTED_STORAGE_CONFIG:',
        '  s3_us: [S3Storage, {s3_bucket: quay, storage_path: /registry}]',
        '  local: [LocalStorage, {storage_path: blobs}]',
        'DISTRIBUTED_STORAGE_PREFERENCE: [s3_us]',
        'SUPER_USERS: [admin]',
        'CREATE_ORGANIZATION_ON_PUSH: true',
        'MAXIMUM_LAYER_SIZE: 2G',
      ].join('\n'),
    );
    const config = loadConfig({ configDir: dir, dataDir: '/tmp/qs', env: {} });
    expect(config.embedded).toBe(false);
    expect(config.database).toMatchObject({ kind: 'postgres', uri: 'postgresql://quay:secret@db/quay' });
    expect(config.storage.preference).toEqual(['s3_us']);
    expect(config.storage.defaultLocations).toEqual(['s3_us']);
    expect(config.storage.locations['local']?.[1]).toEqual({ storage_path: '/tmp/qs/blobs' });
    expect(config.SUPER_USERS).toEqual(['admin']);
    expect(config.createNamespaceOnPush).toBe(true);
    expect(config.maxLayerBytes).toBe(2 * 1024 ** 3);
  });

  it('names the key and the problem for a wrong type', async () => {
    const dir = await configDir('FEATURE_ANONYMOUS_ACCESS: "yes please"\n');
    const problems = problemsOf(() => loadConfig({ configDir: dir, env: {} }));
    expect(problems[0]?.key).toBe('FEATURE_ANONYMOUS_ACCESS');
    expect(problems[0]?.message).toMatch(/boolean/i);
  });

  it('rejects an unknown storage driver by key', async () => {
    const dir = await configDir('DISTRIBUTED_STORAGE_CONFIG:\n  x: [FloppyStorage, {}]\n');
    const problems = problemsOf(() => loadConfig({ configDir: dir, env: {} }));
    expect(problems.map((p) => p.key)).toContain('DISTRIBUTED_STORAGE_CONFIG');
  });

  it('rejects a preference naming an undefined location', async () => {
    const dir = await configDir(
      'DISTRIBUTED_STORAGE_CONFIG:\n  a: [LocalStorage, {storage_path: /tmp/a}]\nDISTRIBUTED_STORAGE_PREFERENCE: [b]\n',
    );
    const problems = problemsOf(() => loadConfig({ configDir: dir, env: {} }));
    expect(problems).toEqual([
      { key: 'DISTRIBUTED_STORAGE_PREFERENCE', message: expect.stringContaining('"b"') },
    ]);
  });

  it('rejects malformed YAML and non-mapping documents', async () => {
    expect(problemsOf(() => loadConfig({ configDir: '/nonexistent/dir', env: {} }))[0]?.key).toBe('--config-dir');
    const bad = await configDir('SERVER_HOSTNAME: [unclosed\n');
    expect(problemsOf(() => loadConfig({ configDir: bad, env: {} }))[0]?.key).toBe('config.yaml');
    const list = await configDir('- a\n- b\n');
    expect(problemsOf(() => loadConfig({ configDir: list, env: {} }))[0]?.message).toMatch(/mapping/);
  });

  it('rejects an unsupported DB_URI scheme and a bad REGISTRY_STATE', async () => {
    const dir = await configDir('DB_URI: mysql://root@db/quay\nREGISTRY_STATE: sleepy\n');
    const keys = problemsOf(() => loadConfig({ configDir: dir, env: {} })).map((p) => p.key);
    expect(keys).toEqual(expect.arrayContaining(['DB_URI', 'REGISTRY_STATE']));
  });

  it('applies QUAY_OVERRIDE_CONFIG last and rejects non-JSON overrides', async () => {
    const dir = await configDir('FEATURE_USER_INITIALIZE: false\n');
    const config = loadConfig({ configDir: dir, env: { QUAY_OVERRIDE_CONFIG: '{"FEATURE_USER_INITIALIZE": true}' } });
    expect(config.FEATURE_USER_INITIALIZE).toBe(true);
    const problems = problemsOf(() => loadConfig({ configDir: dir, env: { QUAY_OVERRIDE_CONFIG: 'nope' } }));
    expect(problems[0]?.key).toBe('QUAY_OVERRIDE_CONFIG');
  });

  it('rejects DEFAULT_TAG_EXPIRATION outside TAG_EXPIRATION_OPTIONS', async () => {
    const dir = await configDir('DEFAULT_TAG_EXPIRATION: 3d\n');
    expect(problemsOf(() => loadConfig({ configDir: dir, env: {} }))[0]?.key).toBe('DEFAULT_TAG_EXPIRATION');
  });

  it('refuses storage replication over LocalStorage', async () => {
    const dir = await configDir('FEATURE_STORAGE_REPLICATION: true\n');
    expect(problemsOf(() => loadConfig({ configDir: dir, env: {} }))[0]?.key).toBe('FEATURE_STORAGE_REPLICATION');
  });
});

describe('parseByteSize', () => {
  it('understands Quay size suffixes', () => {
    expect(parseByteSize('512')).toBe(512);
    expect(parseByteSize('4K')).toBe(4096);
    expect(parseByteSize('20G')).toBe(20 * 1024 ** 3);
    expect(() => parseByteSize('1.5G')).toThrow();
  });
});
