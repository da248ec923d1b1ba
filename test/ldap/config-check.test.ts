import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { checkLdap } from '../../src/config/ldap-check.js';
import { ConfigError, loadConfig, type QuaysideConfig } from '../../src/config/load.js';
import { ldapConfig, slapdAvailable, startSlapd, type TestSlapd } from '../helpers/slapd.js';

/** The LDAP part of config validation: required keys at load, and the online check against slapd. */

const RUN = slapdAvailable();

let slapd: TestSlapd;
const dirs: string[] = [];
beforeAll(async () => {
  if (RUN) slapd = await startSlapd();
});
afterAll(async () => {
  await slapd?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'quayside-ldapcheck-'));
  dirs.push(dir);
  return dir;
}

function configWith(keys: Record<string, unknown>): QuaysideConfig {
  return loadConfig({ dataDir: path.join(tmpdir(), 'quayside-ldapcheck-unused'), overrides: keys, env: {} });
}

function loadProblems(keys: Record<string, unknown>): { key: string; message: string }[] {
  try {
    configWith(keys);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('LDAP keys at config load', () => {
  it('names every missing required key when AUTHENTICATION_TYPE is LDAP', () => {
    const problems = loadProblems({ AUTHENTICATION_TYPE: 'LDAP' });
    expect(problems.map((p) => p.key).sort()).toEqual(['LDAP_ADMIN_DN', 'LDAP_ADMIN_PASSWD', 'LDAP_BASE_DN', 'LDAP_URI']);
    expect(problems[0]!.message).toContain('AUTHENTICATION_TYPE is LDAP');
  });

  it('treats an empty base DN list as missing', () => {
    const problems = loadProblems({
      AUTHENTICATION_TYPE: 'LDAP',
      LDAP_URI: 'ldap://127.0.0.1:389',
      LDAP_BASE_DN: [],
      LDAP_ADMIN_DN: 'cn=admin,dc=example,dc=org',
      LDAP_ADMIN_PASSWD: 'secret',
    });
    expect(problems.map((p) => p.key)).toEqual(['LDAP_BASE_DN']);
  });

  it('rejects a URI that is not ldap:// or ldaps://', () => {
    const problems = loadProblems({ AUTHENTICATION_TYPE: 'LDAP', LDAP_URI: 'http://directory.example.org' });
    expect(problems.map((p) => p.key)).toContain('LDAP_URI');
  });

  it('ignores the LDAP keys for database authentication', () => {
    expect(loadProblems({ AUTHENTICATION_TYPE: 'Database' })).toEqual([]);
  });
});

describe.skipIf(!RUN)('checkLdap against slapd', () => {
  it('passes a working configuration with a superuser that exists', async () => {
    expect(await checkLdap(configWith(ldapConfig(slapd, { SUPER_USERS: ['alice', 'carol@example.org'] })))).toEqual([]);
  });

  it('reports "Invalid credentials" for a wrong administrator password', async () => {
    const problems = await checkLdap(configWith(ldapConfig(slapd, { LDAP_ADMIN_PASSWD: 'wrong-password' })));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ key: 'LDAP_ADMIN_DN' });
    expect(problems[0]!.message).toContain('Invalid credentials');
    expect(problems[0]!.message).not.toContain('wrong-password');
  });

  it('reports "Username not found" for a superuser missing from the directory', async () => {
    const problems = await checkLdap(configWith(ldapConfig(slapd, { SUPER_USERS: ['alice', 'ghost'] })));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ key: 'SUPER_USERS' });
    expect(problems[0]!.message).toContain('Verification of superuser ghost failed: Username not found');
  });

  it('reports a superuser that LDAP_USER_FILTER excludes as not found', async () => {
    const config = configWith(ldapConfig(slapd, { SUPER_USERS: ['mallory'], LDAP_USER_FILTER: '(!(employeeType=suspended))' }));
    const problems = await checkLdap(config);
    expect(problems.map((p) => p.message).join('\n')).toContain('superuser mallory failed: Username not found');
  });

  it('reports a user RDN with no users under it', async () => {
    const problems = await checkLdap(
      configWith(ldapConfig(slapd, { LDAP_USER_RDN: ['ou=groups'], LDAP_SECONDARY_USER_RDNS: [] })),
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ key: 'LDAP_USER_RDN' });
    expect(problems[0]!.message).toContain('Verification that users exist failed');
  });

  it('reports a server it cannot reach', async () => {
    const problems = await checkLdap(configWith(ldapConfig(slapd, { LDAP_URI: 'ldap://127.0.0.1:1', LDAP_NETWORK_TIMEOUT: 1 })));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ key: 'LDAP_URI' });
  });

  it('reports a filter that is not wrapped in parentheses', async () => {
    const problems = await checkLdap(configWith(ldapConfig(slapd, { LDAP_SUPERUSER_FILTER: 'employeeType=admin' })));
    expect(problems).toEqual([{ key: 'LDAP_SUPERUSER_FILTER', message: expect.stringContaining('parentheses') }]);
  });

  it('has nothing to say about database authentication', async () => {
    expect(await checkLdap(configWith({ AUTHENTICATION_TYPE: 'Database', SUPER_USERS: ['ghost'] }))).toEqual([]);
  });
});

function quayside(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.resolve('bin/quayside.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!RUN)('quayside config validate with LDAP', () => {
  async function validate(keys: Record<string, unknown>, ...flags: string[]) {
    const configDir = await tempDir();
    await writeFile(path.join(configDir, 'config.yaml'), stringify(keys));
    return quayside('config', 'validate', '--config-dir', configDir, '--data-dir', await tempDir(), ...flags);
  }

  it('accepts a working LDAP configuration', async () => {
    const result = await validate(ldapConfig(slapd, { SUPER_USERS: ['alice'] }));
    expect(result.stdout + result.stderr).toContain('configuration is valid');
    expect(result.code).toBe(0);
  });

  it('fails with the documented messages, without printing the password', async () => {
    const badPassword = await validate(ldapConfig(slapd, { LDAP_ADMIN_PASSWD: 'not-the-password' }));
    expect(badPassword.code).toBe(1);
    expect(badPassword.stderr).toContain('Invalid credentials');
    expect(badPassword.stderr + badPassword.stdout).not.toContain('not-the-password');

    const ghost = await validate(ldapConfig(slapd, { SUPER_USERS: ['ghost'] }));
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toContain('Username not found');
  });

  it('does not contact the directory with --offline', async () => {
    const result = await validate(ldapConfig(slapd, { LDAP_ADMIN_PASSWD: 'not-the-password' }), '--offline');
    expect(result.code).toBe(0);
  });
});
