import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { freePort } from './free-port.js';

/**
 * A real OpenLDAP slapd for the LDAP tests: started on 127.0.0.1 (plain ldap:// and ldaps:// with a
 * self-signed certificate made by openssl) in a temporary directory, seeded with a small directory:
 *
 *   dc=example,dc=org
 *     ou=people       alice, bob, dave, mallory (employeeType=suspended), sam (employeeType=admin),
 *                     Frank.Smith, twin1 + twin2 (same mail)
 *     ou=contractors  carol
 *     ou=groups       devs (groupOfNames: alice, bob), ops (groupOfUniqueNames: carol, sam)
 *
 * The memberof overlay is loaded, so groupOfNames members get memberOf; groupOfUniqueNames
 * members do not, which exercises directories without the overlay.
 */

export const BASE_DN = 'dc=example,dc=org';
export const ADMIN_DN = `cn=admin,${BASE_DN}`;
export const ADMIN_PASSWORD = 'admin-secret';

export interface SeedUser {
  uid: string;
  ou: 'people' | 'contractors';
  mail?: string;
  password: string;
  employeeType?: string;
}

export const SEED_USERS: readonly SeedUser[] = [
  { uid: 'alice', ou: 'people', mail: 'alice@example.org', password: 'alice-password' },
  { uid: 'bob', ou: 'people', mail: 'bob@example.org', password: 'bob-password' },
  { uid: 'dave', ou: 'people', mail: 'dave@example.org', password: 'dave-password' },
  { uid: 'mallory', ou: 'people', mail: 'mallory@example.org', password: 'mallory-password', employeeType: 'suspended' },
  { uid: 'sam', ou: 'people', mail: 'sam@example.org', password: 'sam-password', employeeType: 'admin' },
  { uid: 'Frank.Smith', ou: 'people', mail: 'frank@example.org', password: 'frank-password' },
  { uid: 'twin1', ou: 'people', mail: 'twin@example.org', password: 'twin-password' },
  { uid: 'twin2', ou: 'people', mail: 'twin@example.org', password: 'twin-password' },
  { uid: 'carol', ou: 'contractors', mail: 'carol@example.org', password: 'carol-password' },
];

export function userDn(uid: string): string {
  const user = SEED_USERS.find((u) => u.uid === uid);
  return `uid=${uid},ou=${user?.ou ?? 'people'},${BASE_DN}`;
}

export function groupDn(cn: string): string {
  return `cn=${cn},ou=groups,${BASE_DN}`;
}

export interface TestSlapd {
  /** ldap://127.0.0.1:<port> */
  ldapUrl: string;
  /** ldaps://127.0.0.1:<port> */
  ldapsUrl: string;
  /** The self-signed certificate slapd serves on ldaps (PEM). */
  certificatePem: string;
  /** Runs `fn` with a client bound as the root DN (to change the directory during a test). */
  asAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T>;
  /** Replaces the members of the groupOfNames `cn`. */
  setGroupMembers(cn: string, uids: string[]): Promise<void>;
  stop(): Promise<void>;
}

const SLAPD_CANDIDATES = ['/usr/sbin/slapd', '/usr/local/sbin/slapd', '/usr/local/libexec/slapd'];
const MODULE_DIRS = ['/usr/lib/ldap', '/usr/lib/x86_64-linux-gnu/ldap', '/usr/lib/aarch64-linux-gnu/ldap'];
const SCHEMA_DIR = '/etc/ldap/schema';

function findSlapd(): string | undefined {
  return SLAPD_CANDIDATES.find((candidate) => existsSync(candidate));
}

/**
 * Whether the LDAP tests can run. Without slapd they are skipped, loudly, on a developer machine;
 * under CI=true a missing slapd is an error (.ci/run installs it).
 */
export function slapdAvailable(): boolean {
  if (findSlapd() && existsSync(path.join(SCHEMA_DIR, 'core.schema'))) return true;
  if (process.env['CI'] === 'true') {
    throw new Error('CI=true but OpenLDAP slapd is not installed: the LDAP tests cannot be skipped in CI');
  }
  console.warn('slapd not found (apt-get install slapd ldap-utils): SKIPPING the LDAP tests');
  return false;
}

function makeCertificate(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'server.crt');
  const key = path.join(dir, 'server.key');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
      '-keyout', key, '-out', cert,
      '-subj', '/CN=quayside-test-ldap',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

function slapdConf(dir: string, tls: { cert: string; key: string }): string {
  const modules = MODULE_DIRS.find((candidate) => existsSync(candidate)) ?? '/usr/lib/ldap';
  return [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map((schema) => `include ${SCHEMA_DIR}/${schema}.schema`),
    `pidfile ${path.join(dir, 'slapd.pid')}`,
    `modulepath ${modules}`,
    'moduleload back_mdb',
    'moduleload memberof',
    `TLSCertificateFile ${tls.cert}`,
    `TLSCertificateKeyFile ${tls.key}`,
    'database mdb',
    `suffix "${BASE_DN}"`,
    `rootdn "${ADMIN_DN}"`,
    `rootpw ${ADMIN_PASSWORD}`,
    `directory ${path.join(dir, 'db')}`,
    'maxsize 67108864',
    'overlay memberof',
    '',
  ].join('\n');
}

async function waitForBind(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`slapd exited with ${child.exitCode}: ${output()}`);
    const client = new Client({ url, connectTimeout: 1000, timeout: 2000 });
    try {
      await client.bind(ADMIN_DN, ADMIN_PASSWORD);
      return;
    } catch (err) {
      lastError = err;
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
  throw new Error(`slapd did not accept a bind on ${url}: ${String(lastError)}\n${output()}`);
}

function userEntry(user: SeedUser): Record<string, string | string[]> {
  const entry: Record<string, string | string[]> = {
    objectClass: ['inetOrgPerson', 'organizationalPerson', 'person', 'top'],
    uid: user.uid,
    cn: user.uid,
    sn: user.uid,
    userPassword: user.password,
  };
  if (user.mail) entry['mail'] = user.mail;
  if (user.employeeType) entry['employeeType'] = user.employeeType;
  return entry;
}

async function seed(client: Client): Promise<void> {
  await client.add(BASE_DN, { objectClass: ['dcObject', 'organization', 'top'], dc: 'example', o: 'Example' });
  for (const ou of ['people', 'contractors', 'groups']) {
    await client.add(`ou=${ou},${BASE_DN}`, { objectClass: ['organizationalUnit', 'top'], ou });
  }
  for (const user of SEED_USERS) await client.add(userDn(user.uid), userEntry(user));
  await client.add(groupDn('devs'), {
    objectClass: ['groupOfNames', 'top'],
    cn: 'devs',
    member: [userDn('alice'), userDn('bob')],
  });
  await client.add(groupDn('ops'), {
    objectClass: ['groupOfUniqueNames', 'top'],
    cn: 'ops',
    uniqueMember: [userDn('carol'), userDn('sam')],
  });
}

/** Starts and seeds slapd. Call only when slapdAvailable() is true. */
export async function startSlapd(): Promise<TestSlapd> {
  const binary = findSlapd();
  if (!binary) throw new Error('slapd is not installed');
  const dir = await mkdtemp(path.join(tmpdir(), 'quayside-slapd-'));
  await mkdir(path.join(dir, 'db'));
  const tls = makeCertificate(dir);
  const confFile = path.join(dir, 'slapd.conf');
  await writeFile(confFile, slapdConf(dir, tls));
  const [ldapPort, ldapsPort] = [await freePort(), await freePort()];
  const ldapUrl = `ldap://127.0.0.1:${ldapPort}`;
  const ldapsUrl = `ldaps://127.0.0.1:${ldapsPort}`;
  // -d keeps slapd in the foreground, so it is our child and dies with the test run.
  const child = spawn(binary, ['-f', confFile, '-h', `${ldapUrl}/ ${ldapsUrl}/`, '-d', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForBind(ldapUrl, child, () => output);
    const asAdmin = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
      const client = new Client({ url: ldapUrl, timeout: 5000 });
      try {
        await client.bind(ADMIN_DN, ADMIN_PASSWORD);
        return await fn(client);
      } finally {
        await client.unbind().catch(() => undefined);
      }
    };
    await asAdmin(seed);
    return {
      ldapUrl,
      ldapsUrl,
      certificatePem: await readFile(tls.cert, 'utf8'),
      asAdmin,
      async setGroupMembers(cn, uids) {
        await asAdmin((client) =>
          client.modify(
            groupDn(cn),
            new Change({ operation: 'replace', modification: new Attribute({ type: 'member', values: uids.map(userDn) }) }),
          ),
        );
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** config.yaml keys for AUTHENTICATION_TYPE: LDAP against the test slapd (plain ldap://). */
export function ldapConfig(slapd: TestSlapd, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    AUTHENTICATION_TYPE: 'LDAP',
    LDAP_URI: slapd.ldapUrl,
    LDAP_BASE_DN: ['dc=example', 'dc=org'],
    LDAP_USER_RDN: ['ou=people'],
    LDAP_SECONDARY_USER_RDNS: ['ou=contractors'],
    LDAP_ADMIN_DN: ADMIN_DN,
    LDAP_ADMIN_PASSWD: ADMIN_PASSWORD,
    LDAP_UID_ATTR: 'uid',
    LDAP_EMAIL_ATTR: 'mail',
    LDAP_TIMEOUT: 5,
    LDAP_NETWORK_TIMEOUT: 5,
    ...extra,
  };
}
