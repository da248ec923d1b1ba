import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireClient, runFails, runOk } from '../helpers/clients.js';
import { testDialects } from '../helpers/databases.js';
import {
  createImageLayout,
  createMultiArchLayout,
  type LayoutImage,
  type LayoutIndex,
  MEDIA_TYPES,
  readLayout,
  sha256Digest,
  verifyLayoutBlobs,
} from '../helpers/oci-layout.js';
import { AUTH_REFUSED, basicAuth, PASSWORD, useRegistry, WRONG_PASSWORD } from './support.js';

const skopeo = requireClient('skopeo');

interface InspectOutput {
  Name: string;
  Digest: string;
  RepoTags: string[];
  Architecture: string;
  Os: string;
  Layers: string[];
  Labels: Record<string, string> | null;
}

describe.skipIf(!skopeo).each(testDialects())('skopeo 1.9 against Quayside (%s)', (dialect) => {
  const ctx = useRegistry(dialect);
  const bin = skopeo!;
  const alice = `alice:${PASSWORD}`;
  const pushOpts = () => ['--dest-tls-verify=false', '--dest-creds', alice, '--preserve-digests'];
  const pullOpts = () => ['--src-tls-verify=false', '--src-creds', alice, '--preserve-digests'];
  const readOpts = (creds: string | null = alice) => ['--tls-verify=false', ...(creds === null ? ['--no-creds'] : ['--creds', creds])];
  const ref = (repoAndTag: string) => `docker://${ctx.registry.host}/${repoAndTag}`;

  let image: LayoutImage;
  let multi: LayoutIndex;

  beforeAll(async () => {
    image = await createImageLayout(path.join(ctx.work, 'src-image'), { seed: `skopeo-${dialect}`, tag: 'v1' });
    multi = await createMultiArchLayout(path.join(ctx.work, 'src-multi'), { seed: `skopeo-multi-${dialect}`, tag: 'v1' });
  });

  it('copies a three-layer OCI image from a layout into alice/app:v1 and serves the same bytes', async () => {
    await runOk(bin, ['copy', ...pushOpts(), image.ref, ref('alice/app:v1')]);

    const raw = await runOk(bin, ['inspect', '--raw', ...readOpts(), ref('alice/app:v1')]);
    expect(sha256Digest(raw.stdout)).toBe(image.image.manifestDescriptor.digest);
    expect(Buffer.from(raw.stdout)).toEqual(image.image.manifest);

    const config = await runOk(bin, ['inspect', '--config', '--raw', ...readOpts(), ref('alice/app:v1')]);
    expect(sha256Digest(config.stdout)).toBe(image.image.configDescriptor.digest);

    const inspected = JSON.parse((await runOk(bin, ['inspect', ...readOpts(), ref('alice/app:v1')])).stdout) as InspectOutput;
    expect(inspected.Digest).toBe(image.image.manifestDescriptor.digest);
    expect(inspected.Architecture).toBe('amd64');
    expect(inspected.Os).toBe('linux');
    expect(inspected.Layers).toEqual(image.image.layers.map((layer) => layer.digest));
    expect(inspected.Labels).toEqual({ 'org.quayside.e2e.seed': `skopeo-${dialect}` });
    expect(inspected.RepoTags).toEqual(['v1']);
  });

  it('pulls by digest and copies the image back out to a new layout with identical digests', async () => {
    const digest = image.image.manifestDescriptor.digest;
    const byDigest = await runOk(bin, ['inspect', '--raw', ...readOpts(), ref(`alice/app@${digest}`)]);
    expect(sha256Digest(byDigest.stdout)).toBe(digest);

    const outDir = path.join(ctx.work, 'out-image');
    await runOk(bin, ['copy', ...pullOpts(), ref('alice/app:v1'), `oci:${outDir}:copied`]);
    const out = await readLayout(outDir);
    expect(out.descriptorFor('copied').digest).toBe(digest);
    expect(out.descriptorFor('copied').mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(await out.blob(digest)).toEqual(image.image.manifest);
    for (const layer of image.image.layers) {
      expect(sha256Digest(await out.blob(layer.digest))).toBe(layer.digest);
    }
    await verifyLayoutBlobs(outDir);
    expect(await out.blobDigests()).toEqual(
      [digest, image.image.configDescriptor.digest, ...image.image.layers.map((layer) => layer.digest)].sort(),
    );
  });

  it('copies a multi-arch OCI index with --all and back out, keeping the index and both platform manifests', async () => {
    await runOk(bin, ['copy', '--all', ...pushOpts(), multi.ref, ref('alice/multi:v1')]);

    const raw = await runOk(bin, ['inspect', '--raw', ...readOpts(), ref('alice/multi:v1')]);
    expect(Buffer.from(raw.stdout)).toEqual(multi.index);
    const index = JSON.parse(raw.stdout) as { mediaType: string; manifests: { digest: string; platform: { architecture: string } }[] };
    expect(index.mediaType).toBe(MEDIA_TYPES.ociIndex);
    expect(index.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64']);

    for (const child of multi.images) {
      const perArch = await runOk(bin, [
        '--override-arch',
        child.platform.architecture,
        ...(child.platform.variant ? ['--override-variant', child.platform.variant] : []),
        'inspect',
        ...readOpts(),
        ref('alice/multi:v1'),
      ]);
      const inspected = JSON.parse(perArch.stdout) as InspectOutput;
      // skopeo reports the digest of the reference itself (the index) and the chosen platform's details
      expect(inspected.Digest).toBe(multi.indexDescriptor.digest);
      expect(inspected.Architecture).toBe(child.platform.architecture);
      expect(inspected.Layers).toEqual(child.layers.map((layer) => layer.digest));
      const childRaw = await runOk(bin, ['inspect', '--raw', ...readOpts(), ref(`alice/multi@${child.manifestDescriptor.digest}`)]);
      expect(Buffer.from(childRaw.stdout)).toEqual(child.manifest);
    }

    const outDir = path.join(ctx.work, 'out-multi');
    await runOk(bin, ['copy', '--all', ...pullOpts(), ref('alice/multi:v1'), `oci:${outDir}:copied`]);
    const out = await readLayout(outDir);
    expect(out.descriptorFor('copied').digest).toBe(multi.indexDescriptor.digest);
    expect(await out.blob(multi.indexDescriptor.digest)).toEqual(multi.index);
    for (const child of multi.images) {
      expect(await out.blob(child.manifestDescriptor.digest)).toEqual(child.manifest);
      expect(await out.blob(child.configDescriptor.digest)).toEqual(child.config);
    }
    // exactly the index, and per platform its manifest, config and layers (the platforms share a base layer)
    await verifyLayoutBlobs(outDir);
    const expected = new Set([
      multi.indexDescriptor.digest,
      ...multi.images.flatMap((child) => [
        child.manifestDescriptor.digest,
        child.configDescriptor.digest,
        ...child.layers.map((layer) => layer.digest),
      ]),
    ]);
    expect(await out.blobDigests()).toEqual([...expected].sort());
  });

  it('lists tags, including a second tag pushed for the same manifest', async () => {
    await runOk(bin, ['copy', ...pushOpts(), image.ref, ref('alice/app:v2')]);
    const listed = JSON.parse((await runOk(bin, ['list-tags', ...readOpts(), ref('alice/app')])).stdout) as {
      Repository: string;
      Tags: string[];
    };
    expect(listed.Repository).toBe(`${ctx.registry.host}/alice/app`);
    expect([...listed.Tags].sort()).toEqual(['v1', 'v2']);
    const v2 = await runOk(bin, ['inspect', '--raw', ...readOpts(), ref('alice/app:v2')]);
    expect(sha256Digest(v2.stdout)).toBe(image.image.manifestDescriptor.digest);
  });

  it('converts to a Docker schema 2 manifest on push (-f v2s2) and serves it with its media type', async () => {
    await runOk(bin, [
      'copy',
      '--dest-tls-verify=false',
      '--dest-creds',
      alice,
      '--format',
      'v2s2',
      image.ref,
      ref('alice/app-docker:v1'),
    ]);
    const raw = await runOk(bin, ['inspect', '--raw', ...readOpts(), ref('alice/app-docker:v1')]);
    const manifest = JSON.parse(raw.stdout) as { mediaType: string; layers: { mediaType: string; digest: string }[] };
    expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(manifest.layers.map((layer) => layer.digest)).toEqual(image.image.layers.map((layer) => layer.digest));
    expect(new Set(manifest.layers.map((layer) => layer.mediaType))).toEqual(
      new Set(['application/vnd.docker.image.rootfs.diff.tar.gzip']),
    );
    const inspected = JSON.parse((await runOk(bin, ['inspect', ...readOpts(), ref('alice/app-docker:v1')])).stdout) as InspectOutput;
    expect(inspected.Digest).toBe(sha256Digest(raw.stdout));
  });

  it('keeps a repository created on push private: anonymous and wrong credentials are refused, --creds works', async () => {
    // Anonymous: no credentials at all.
    const anonymous = await runFails(bin, ['inspect', '--raw', ...readOpts(null), ref('alice/app:v1')]);
    expect(anonymous.stdout).not.toContain(image.image.manifestDescriptor.digest);
    expect(anonymous.stderr).toMatch(AUTH_REFUSED);

    const anonymousTags = await runFails(bin, ['list-tags', ...readOpts(null), ref('alice/app')]);
    expect(anonymousTags.stderr).toMatch(AUTH_REFUSED);

    // Right user, wrong password.
    const wrong = await runFails(bin, ['inspect', '--raw', ...readOpts(`alice:${WRONG_PASSWORD}`), ref('alice/app:v1')]);
    expect(wrong.stderr).toMatch(AUTH_REFUSED);

    // A user that does not exist.
    const nobody = await runFails(bin, ['inspect', '--raw', ...readOpts(`mallory:${PASSWORD}`), ref('alice/app:v1')]);
    expect(nobody.stderr).toMatch(AUTH_REFUSED);

    // Another real user without any permission on alice's repository.
    const bob = await runFails(bin, ['inspect', '--raw', ...readOpts(`bob:${PASSWORD}`), ref('alice/app:v1')]);
    expect(bob.stderr).toMatch(AUTH_REFUSED);

    // ...and bob cannot push into alice's namespace either.
    const bobPush = await runFails(bin, [
      'copy',
      '--dest-tls-verify=false',
      '--dest-creds',
      `bob:${PASSWORD}`,
      image.ref,
      ref('alice/app:from-bob'),
    ]);
    expect(bobPush.stderr).toMatch(AUTH_REFUSED);

    // The owner with --creds still can.
    const owner = await runOk(bin, ['inspect', '--raw', ...readOpts(), ref('alice/app:v1')]);
    expect(sha256Digest(owner.stdout)).toBe(image.image.manifestDescriptor.digest);

    // Direct cross-check of what the clients saw: the registry challenges an anonymous manifest GET.
    const response = await fetch(`${ctx.registry.url}/v2/alice/app/manifests/v1`, {
      headers: { accept: MEDIA_TYPES.ociManifest },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate') ?? '').toMatch(/^Bearer realm="[^"]+"/);
    const withBasic = await fetch(`${ctx.registry.url}/v2/alice/app/manifests/v1`, {
      headers: { accept: MEDIA_TYPES.ociManifest, authorization: basicAuth('alice', PASSWORD) },
    });
    expect(withBasic.status).toBe(200);
    expect(withBasic.headers.get('docker-content-digest')).toBe(image.image.manifestDescriptor.digest);
  });

  it('deletes a manifest by digest (skopeo delete) after which the tag no longer resolves', async () => {
    const target = ref('alice/to-delete:v1');
    await runOk(bin, ['copy', ...pushOpts(), image.ref, target]);
    await runOk(bin, ['delete', ...readOpts(), target]);
    const gone = await runFails(bin, ['inspect', '--raw', ...readOpts(), target]);
    expect(gone.stderr).toMatch(/manifest unknown|not found|404/i);
    // the same manifest in alice/app is untouched: repositories are independent
    const still = await runOk(bin, ['inspect', '--raw', ...readOpts(), ref('alice/app:v1')]);
    expect(sha256Digest(still.stdout)).toBe(image.image.manifestDescriptor.digest);
  });

  it('pushes into a nested repository name (alice/team/project/app) as an independent repository', async () => {
    await runOk(bin, ['copy', ...pushOpts(), image.ref, ref('alice/team/project/app:nested')]);
    const listed = JSON.parse((await runOk(bin, ['list-tags', ...readOpts(), ref('alice/team/project/app')])).stdout) as {
      Tags: string[];
    };
    expect(listed.Tags).toEqual(['nested']);
    const parent = JSON.parse((await runOk(bin, ['list-tags', ...readOpts(), ref('alice/app')])).stdout) as { Tags: string[] };
    expect(parent.Tags).not.toContain('nested');
  });
});
