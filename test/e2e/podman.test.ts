import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { run, requireClient, runFails, runOk } from '../helpers/clients.js';
import { testDialects } from '../helpers/databases.js';
import {
  createImageLayout,
  createMultiArchLayout,
  type LayoutImage,
  type LayoutIndex,
  MEDIA_TYPES,
  sha256Digest,
} from '../helpers/oci-layout.js';
import { AUTH_REFUSED, basicAuth, PASSWORD, useRegistry, WRONG_PASSWORD } from './support.js';

const podman = requireClient('podman');

/**
 * Podman 4.3 as root with its own storage per suite (vfs driver under the scratch directory, so
 * the machine's image store is untouched and no overlay mount is needed) and its own auth file.
 * No container is run: push/pull/login/manifest only.
 */
describe.skipIf(!podman).each(testDialects())('podman against Quayside (%s)', (dialect) => {
  const ctx = useRegistry(dialect);
  const bin = podman!;
  let image: LayoutImage;
  let multi: LayoutIndex;
  let authFile = '';
  let imageId = '';
  let pushedDigest = '';

  const podmanArgs = (args: string[]) => [
    '--root',
    path.join(ctx.work, 'storage'),
    '--runroot',
    path.join(ctx.work, 'run'),
    '--storage-driver',
    'vfs',
    '--cgroup-manager',
    'cgroupfs',
    '--events-backend',
    'file',
    ...args,
  ];
  const env = () => ({ REGISTRY_AUTH_FILE: authFile, TMPDIR: path.join(ctx.work, 'tmp') });
  const p = (args: string[], input?: string) =>
    runOk(bin, podmanArgs(args), { env: env(), timeoutMs: 120_000, ...(input ? { input } : {}) });
  const pFails = (args: string[]) => runFails(bin, podmanArgs(args), { env: env(), timeoutMs: 120_000 });
  const name = (repoAndTag: string) => `${ctx.registry.host}/${repoAndTag}`;

  beforeAll(async () => {
    authFile = path.join(ctx.work, 'auth.json');
    await writeFile(authFile, JSON.stringify({ auths: {} }));
    await mkdir(path.join(ctx.work, 'tmp'), { recursive: true });
    image = await createImageLayout(path.join(ctx.work, 'image'), { seed: `podman-${dialect}` });
    multi = await createMultiArchLayout(path.join(ctx.work, 'multi'), { seed: `podman-multi-${dialect}` });
    const pulled = await p(['pull', '-q', image.ref]);
    imageId = pulled.stdout.trim().split('\n').pop()!;
  });

  it('loads the test image into its private storage (image id = config digest)', () => {
    expect(`sha256:${imageId}`).toBe(image.image.configDescriptor.digest);
  });

  it('refuses login with a wrong password and accepts the right one', async () => {
    const wrong = await pFails(['login', '--tls-verify=false', '-u', 'alice', '-p', WRONG_PASSWORD, ctx.registry.host]);
    expect(wrong.stderr).toMatch(AUTH_REFUSED);
    const ok = await p(['login', '--tls-verify=false', '-u', 'alice', '--password-stdin', ctx.registry.host], PASSWORD);
    expect(ok.stdout).toMatch(/Login Succeeded/i);
    const stored = JSON.parse(await readFile(authFile, 'utf8')) as { auths: Record<string, unknown> };
    expect(Object.keys(stored.auths)).toContain(ctx.registry.host);
  });

  it('pushes with the stored login, and the registry holds the pushed manifest', async () => {
    await p(['tag', imageId, name('alice/podapp:v1')]);
    const digestFile = path.join(ctx.work, 'push.digest');
    await p(['push', '--tls-verify=false', '--digestfile', digestFile, name('alice/podapp:v1')]);
    pushedDigest = (await readFile(digestFile, 'utf8')).trim();
    expect(pushedDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

    const response = await fetch(`${ctx.registry.url}/v2/alice/podapp/manifests/v1`, {
      headers: {
        authorization: basicAuth('alice', PASSWORD),
        accept: [MEDIA_TYPES.ociManifest, 'application/vnd.docker.distribution.manifest.v2+json'].join(', '),
      },
    });
    expect(response.status).toBe(200);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(response.headers.get('docker-content-digest')).toBe(pushedDigest);
    expect(sha256Digest(bytes)).toBe(pushedDigest);
    const manifest = JSON.parse(bytes.toString('utf8')) as { config: { digest: string }; layers: unknown[] };
    // podman recompresses layers from its store, but the config (and so the image id) is unchanged
    expect(manifest.config.digest).toBe(image.image.configDescriptor.digest);
    expect(manifest.layers).toHaveLength(image.image.layers.length);
  });

  it('removes the local image and pulls it back with the same id and digest', async () => {
    await p(['rmi', '--force', imageId]);
    const gone = await run(bin, podmanArgs(['image', 'exists', imageId]), { env: env() });
    expect(gone.code).toBe(1);

    await p(['pull', '--tls-verify=false', name('alice/podapp:v1')]);
    const inspected = JSON.parse((await p(['image', 'inspect', name('alice/podapp:v1')])).stdout) as {
      Id: string;
      Digest: string;
      RootFS: { Layers: string[] };
    }[];
    expect(inspected[0]!.Id).toBe(imageId);
    expect(inspected[0]!.Digest).toBe(pushedDigest);
    expect(inspected[0]!.RootFS.Layers).toEqual(image.image.layers.map((layer) => layer.diffId));
  });

  it('after logout: anonymous pull of the private repository is refused, --creds works', async () => {
    await p(['logout', ctx.registry.host]);
    await p(['rmi', '--force', imageId]);
    const anonymous = await pFails(['pull', '--tls-verify=false', name('alice/podapp:v1')]);
    expect(anonymous.stderr).toMatch(AUTH_REFUSED);
    const bob = await pFails(['pull', '--tls-verify=false', '--creds', `bob:${PASSWORD}`, name('alice/podapp:v1')]);
    expect(bob.stderr).toMatch(AUTH_REFUSED);

    await p(['pull', '--tls-verify=false', '--creds', `alice:${PASSWORD}`, name('alice/podapp:v1')]);
    // push the same image to a second repository (blobs are mounted or re-uploaded) and read it back
    await p(['tag', imageId, name('alice/podapp-copy:v1')]);
    await p(['push', '--tls-verify=false', '--creds', `alice:${PASSWORD}`, name('alice/podapp-copy:v1')]);
    const copy = await fetch(`${ctx.registry.url}/v2/alice/podapp-copy/manifests/v1`, {
      method: 'HEAD',
      headers: { authorization: basicAuth('alice', PASSWORD), accept: MEDIA_TYPES.ociManifest },
    });
    expect(copy.status).toBe(200);
  });

  it('pushes a two-platform manifest list (podman manifest create/add/push --all) as an OCI index', async () => {
    await p(['manifest', 'create', 'localhost/quayside-e2e-list']);
    await p(['manifest', 'add', '--all', 'localhost/quayside-e2e-list', multi.ref]);
    const digestFile = path.join(ctx.work, 'list.digest');
    await p([
      'manifest',
      'push',
      '--all',
      '--format',
      'oci',
      '--tls-verify=false',
      '--creds',
      `alice:${PASSWORD}`,
      '--digestfile',
      digestFile,
      'localhost/quayside-e2e-list',
      `docker://${name('alice/podlist:v1')}`,
    ]);
    const listDigest = (await readFile(digestFile, 'utf8')).trim();

    const response = await fetch(`${ctx.registry.url}/v2/alice/podlist/manifests/v1`, {
      headers: { authorization: basicAuth('alice', PASSWORD), accept: MEDIA_TYPES.ociIndex },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-content-digest')).toBe(listDigest);
    const index = (await response.json()) as {
      mediaType: string;
      manifests: { digest: string; platform: { architecture: string } }[];
    };
    expect(index.mediaType).toBe(MEDIA_TYPES.ociIndex);
    expect(index.manifests.map((m) => m.platform.architecture).sort()).toEqual(['amd64', 'arm64']);
    expect(index.manifests.map((m) => m.digest).sort()).toEqual(
      multi.images.map((child) => child.manifestDescriptor.digest).sort(),
    );
    for (const child of index.manifests) {
      const head = await fetch(`${ctx.registry.url}/v2/alice/podlist/manifests/${child.digest}`, {
        method: 'HEAD',
        headers: { authorization: basicAuth('alice', PASSWORD), accept: MEDIA_TYPES.ociManifest },
      });
      expect(head.status).toBe(200);
    }

    // pull one platform of the list back
    await p(['pull', '--tls-verify=false', '--creds', `alice:${PASSWORD}`, '--arch', 'arm64', '--variant', 'v8', name('alice/podlist:v1')]);
    const inspected = JSON.parse((await p(['image', 'inspect', name('alice/podlist:v1')])).stdout) as { Architecture: string; Id: string }[];
    expect(inspected[0]!.Architecture).toBe('arm64');
    expect(`sha256:${inspected[0]!.Id}`).toBe(multi.images[1]!.configDescriptor.digest);
  });
});
