import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { freePort } from './free-port.js';

/**
 * Debian's docker-registry (CNCF Distribution) on 127.0.0.1, as the external registry mirroring
 * tests pull from: without authentication, with htpasswd basic auth, and/or with TLS from a test CA
 * made by openssl for this run. Under CI=true a missing binary is an error (.ci/run installs it);
 * elsewhere distributionAvailable() warns and the tests skip.
 */

export const DISTRIBUTION_BIN = '/usr/bin/docker-registry';

export function distributionAvailable(): boolean {
  if (existsSync(DISTRIBUTION_BIN)) return true;
  if (process.env['CI'] === 'true') {
    throw new Error(`CI=true but ${DISTRIBUTION_BIN} is missing: apt-get install -y docker-registry (.ci/run does)`);
  }
  console.warn(`\n*** SKIPPING the tests against CNCF Distribution: ${DISTRIBUTION_BIN} is missing (apt-get install -y docker-registry) ***\n`);
  return false;
}

export interface DistributionOptions {
  /** htpasswd basic auth with this one user. */
  auth?: { username: string; password: string };
  /** Serve HTTPS with a certificate for 127.0.0.1 signed by a CA made for this server. */
  tls?: boolean;
}

export interface Distribution {
  /** host:port, as an external_reference starts. */
  host: string;
  /** http://… or https://… */
  origin: string;
  /** PEM of the CA that signed the server certificate (TLS only). */
  caPem?: string;
  /** A directory holding ca.crt, for skopeo's --src-cert-dir / --dest-cert-dir (TLS only). */
  certDir?: string;
  /** skopeo flags that reach this server: TLS trust and credentials. */
  skopeoDestFlags(): string[];
  skopeoSrcFlags(): string[];
  stop(): Promise<void>;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'ignore' });
}

/** A CA, and a server certificate for 127.0.0.1 and localhost that it signed. */
function makeTestCa(dir: string): { caCert: string; cert: string; key: string } {
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=quayside-test-ca'], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1'], dir);
  const extensions = path.join(dir, 'server.ext');
  execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > '${extensions}'`]);
  openssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'server.crt', '-extfile', extensions],
    dir,
  );
  return { caCert: path.join(dir, 'ca.crt'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key') };
}

async function waitForV2(origin: string, child: ChildProcess, output: () => string, ca?: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${output()}`);
    try {
      const args = ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...(ca ? ['--cacert', ca] : []), `${origin}/v2/`];
      const code = execFileSync('curl', args, { encoding: 'utf8', timeout: 2000 });
      if (code === '200' || code === '401') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`docker-registry did not answer on ${origin}: ${output()}`);
}

function yamlString(value: string): string {
  return JSON.stringify(value);
}

export async function startDistribution(options: DistributionOptions = {}): Promise<Distribution> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'quayside-distribution-'));
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${yamlString(path.join(dir, 'storage'))}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  let ca: ReturnType<typeof makeTestCa> | undefined;
  if (options.tls) {
    ca = makeTestCa(dir);
    lines.push('  tls:', `    certificate: ${yamlString(ca.cert)}`, `    key: ${yamlString(ca.key)}`);
  }
  if (options.auth) {
    const hash = bcrypt.hashSync(options.auth.password, 10);
    const file = path.join(dir, 'htpasswd');
    await writeFile(file, `${options.auth.username}:${hash}\n`);
    lines.push('auth:', '  htpasswd:', '    realm: quayside-test', `    path: ${yamlString(file)}`);
  }
  const configFile = path.join(dir, 'config.yml');
  await writeFile(configFile, `${lines.join('\n')}\n`);
  const child = spawn(DISTRIBUTION_BIN, ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const origin = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  await waitForV2(origin, child, () => output, ca?.caCert);

  let certDir: string | undefined;
  let caPem: string | undefined;
  if (ca) {
    certDir = path.join(dir, 'certs.d');
    execFileSync('mkdir', ['-p', certDir]);
    caPem = await readFile(ca.caCert, 'utf8');
    await writeFile(path.join(certDir, 'ca.crt'), caPem);
  }
  const trustFlags = (prefix: 'src' | 'dest') =>
    certDir ? [`--${prefix}-cert-dir`, certDir] : [`--${prefix}-tls-verify=false`];
  const credFlags = (prefix: 'src' | 'dest') =>
    options.auth ? [`--${prefix}-creds`, `${options.auth.username}:${options.auth.password}`] : [];
  return {
    host: `127.0.0.1:${port}`,
    origin,
    ...(caPem !== undefined && { caPem }),
    ...(certDir !== undefined && { certDir }),
    skopeoDestFlags: () => [...trustFlags('dest'), ...credFlags('dest')],
    skopeoSrcFlags: () => [...trustFlags('src'), ...credFlags('src')],
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
