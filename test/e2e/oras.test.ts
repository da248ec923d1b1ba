import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { requireClient, runFails, runOk } from '../helpers/clients.js';
import { testDialects } from '../helpers/databases.js';
import { createImageLayout, type LayoutImage, MEDIA_TYPES, readLayout, sha256Digest } from '../helpers/oci-layout.js';
import { AUTH_REFUSED, basicAuth, PASSWORD, useRegistry } from './support.js';

const oras = requireClient('oras');

const NOTE_TYPE = 'application/vnd.quayside.e2e.note.v1';
const SBOM_TYPE = 'application/spdx+json';
const REVIEW_TYPE = 'application/vnd.quayside.e2e.review.v1+json';
const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';

interface Referrer {
  digest: string;
  mediaType: string;
  artifactType?: string;
  annotations?: Record<string, string>;
}

interface ArtifactManifest {
  mediaType: string;
  artifactType?: string;
  config: { mediaType: string; digest: string; size: number };
  layers: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
  subject?: { mediaType: string; digest: string; size: number };
}

/** `oras push`/`attach` print "Digest: sha256:..." as their last line. */
function printedDigest(stdout: string): string {
  const match = /Digest:\s*(sha256:[0-9a-f]{64})/.exec(stdout);
  if (!match) throw new Error(`no digest in oras output:\n${stdout}`);
  return match[1]!;
}

/** oras 1.2 prints {"manifests": [...]}, later versions {"referrers": [...]}. */
function discovered(stdout: string): Referrer[] {
  const parsed = JSON.parse(stdout) as { manifests?: Referrer[]; referrers?: Referrer[] };
  return parsed.manifests ?? parsed.referrers ?? [];
}

describe.skipIf(!oras).each(testDialects())('oras against Quayside (%s)', (dialect) => {
  const ctx = useRegistry(dialect);
  const bin = oras!;
  const auth = () => ['--plain-http', '-u', 'alice', '-p', PASSWORD];
  const target = (repoAndRef: string) => `${ctx.registry.host}/${repoAndRef}`;

  let image: LayoutImage;
  let files: string;
  const note = Buffer.from('a note pushed by oras in the Quayside e2e tests\n');
  const sbom = Buffer.from(JSON.stringify({ spdxVersion: 'SPDX-2.3', name: 'quayside-e2e', packages: [] }, null, 2));
  const review = Buffer.from(JSON.stringify({ reviewer: 'alice', verdict: 'ok' }));
  let sbomDigest = '';
  let reviewDigest = '';

  beforeAll(async () => {
    image = await createImageLayout(path.join(ctx.work, 'image'), { seed: `oras-${dialect}`, layers: 2 });
    files = path.join(ctx.work, 'files');
    await mkdir(files, { recursive: true });
    await writeFile(path.join(files, 'note.txt'), note);
    await writeFile(path.join(files, 'sbom.spdx.json'), sbom);
    await writeFile(path.join(files, 'review.json'), review);
  });

  it('pushes an artifact with --artifact-type and pulls the same bytes back', async () => {
    const pushed = await runOk(
      bin,
      ['push', ...auth(), '--artifact-type', NOTE_TYPE, target('alice/notes:v1'), 'note.txt:text/plain'],
      { cwd: files },
    );
    const digest = printedDigest(pushed.stdout);

    const fetched = await runOk(bin, ['manifest', 'fetch', ...auth(), target('alice/notes:v1')]);
    expect(sha256Digest(fetched.stdout)).toBe(digest);
    const manifest = JSON.parse(fetched.stdout) as ArtifactManifest;
    expect(manifest.mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(manifest.artifactType).toBe(NOTE_TYPE);
    expect(manifest.config.mediaType).toBe(EMPTY_CONFIG);
    expect(manifest.layers).toHaveLength(1);
    expect(manifest.layers[0]!.digest).toBe(sha256Digest(note));
    expect(manifest.layers[0]!.annotations?.['org.opencontainers.image.title']).toBe('note.txt');

    const out = path.join(ctx.work, 'pulled-note');
    await runOk(bin, ['pull', ...auth(), '-o', out, target('alice/notes:v1')]);
    expect(await readFile(path.join(out, 'note.txt'))).toEqual(note);

    const tags = await runOk(bin, ['repo', 'tags', ...auth(), target('alice/notes')]);
    expect(tags.stdout.trim().split('\n')).toEqual(['v1']);
  });

  it('copies an image from an OCI layout (oras cp --from-oci-layout) with its digest unchanged', async () => {
    await runOk(bin, [
      'cp',
      '--from-oci-layout',
      '--to-plain-http',
      '--to-username',
      'alice',
      '--to-password',
      PASSWORD,
      image.orasRef,
      target('alice/oras-app:v1'),
    ]);
    const resolved = await runOk(bin, ['resolve', ...auth(), target('alice/oras-app:v1')]);
    expect(resolved.stdout.trim()).toBe(image.image.manifestDescriptor.digest);
  });

  it('attaches artifacts to the image (subject) through the referrers API', async () => {
    const attachedSbom = await runOk(
      bin,
      [
        'attach',
        ...auth(),
        '--distribution-spec',
        'v1.1-referrers-api',
        '--artifact-type',
        SBOM_TYPE,
        '--annotation',
        'org.quayside.e2e=sbom',
        target('alice/oras-app:v1'),
        `sbom.spdx.json:${SBOM_TYPE}`,
      ],
      { cwd: files },
    );
    sbomDigest = printedDigest(attachedSbom.stdout);
    const attachedReview = await runOk(
      bin,
      [
        'attach',
        ...auth(),
        '--distribution-spec',
        'v1.1-referrers-api',
        '--artifact-type',
        REVIEW_TYPE,
        target(`alice/oras-app@${image.image.manifestDescriptor.digest}`),
        'review.json:application/json',
      ],
      { cwd: files },
    );
    reviewDigest = printedDigest(attachedReview.stdout);

    const manifest = JSON.parse(
      (await runOk(bin, ['manifest', 'fetch', ...auth(), target(`alice/oras-app@${sbomDigest}`)])).stdout,
    ) as ArtifactManifest;
    expect(manifest.subject?.digest).toBe(image.image.manifestDescriptor.digest);
    expect(manifest.subject?.size).toBe(image.image.manifestDescriptor.size);
    expect(manifest.artifactType).toBe(SBOM_TYPE);

    // The registry answered the referrers API, so oras must not have fallen back to the
    // "sha256-<digest>" tag schema: the only tag is the image's own.
    const tags = await runOk(bin, ['repo', 'tags', ...auth(), target('alice/oras-app')]);
    expect(tags.stdout.trim().split('\n')).toEqual(['v1']);
  });

  it('discovers the attached artifacts (oras discover, with and without an artifactType filter)', async () => {
    const all = discovered(
      (
        await runOk(bin, [
          'discover',
          ...auth(),
          '--distribution-spec',
          'v1.1-referrers-api',
          '--format',
          'json',
          target('alice/oras-app:v1'),
        ])
      ).stdout,
    );
    expect(all.map((r) => r.digest).sort()).toEqual([sbomDigest, reviewDigest].sort());
    const sbomEntry = all.find((r) => r.digest === sbomDigest);
    expect(sbomEntry?.artifactType).toBe(SBOM_TYPE);
    expect(sbomEntry?.mediaType).toBe(MEDIA_TYPES.ociManifest);
    expect(sbomEntry?.annotations?.['org.quayside.e2e']).toBe('sbom');

    const filtered = discovered(
      (
        await runOk(bin, [
          'discover',
          ...auth(),
          '--distribution-spec',
          'v1.1-referrers-api',
          '--artifact-type',
          REVIEW_TYPE,
          '--format',
          'json',
          target('alice/oras-app:v1'),
        ])
      ).stdout,
    );
    expect(filtered.map((r) => r.digest)).toEqual([reviewDigest]);

    // Cross-check the referrers endpoint itself.
    const url = `${ctx.registry.url}/v2/alice/oras-app/referrers/${image.image.manifestDescriptor.digest}`;
    const response = await fetch(`${url}?artifactType=${encodeURIComponent(SBOM_TYPE)}`, {
      headers: { authorization: basicAuth('alice', PASSWORD) },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(MEDIA_TYPES.ociIndex);
    expect(response.headers.get('oci-filters-applied')).toBe('artifactType');
    const body = (await response.json()) as { schemaVersion: number; mediaType: string; manifests: Referrer[] };
    expect(body.schemaVersion).toBe(2);
    expect(body.mediaType).toBe(MEDIA_TYPES.ociIndex);
    expect(body.manifests.map((m) => m.digest)).toEqual([sbomDigest]);
  });

  it('pulls an attached artifact back by digest with identical bytes', async () => {
    const out = path.join(ctx.work, 'pulled-sbom');
    await runOk(bin, ['pull', ...auth(), '-o', out, target(`alice/oras-app@${sbomDigest}`)]);
    expect(await readFile(path.join(out, 'sbom.spdx.json'))).toEqual(sbom);
  });

  it('copies the image with its referrers back out to an OCI layout (oras cp -r)', async () => {
    const outDir = path.join(ctx.work, 'copied-with-referrers');
    await runOk(bin, [
      'cp',
      '-r',
      '--from-plain-http',
      '--from-username',
      'alice',
      '--from-password',
      PASSWORD,
      '--to-oci-layout',
      target('alice/oras-app:v1'),
      `${outDir}:v1`,
    ]);
    const layout = await readLayout(outDir);
    expect(layout.descriptorFor('v1').digest).toBe(image.image.manifestDescriptor.digest);
    const blobs = await layout.blobDigests();
    expect(blobs).toContain(sbomDigest);
    expect(blobs).toContain(reviewDigest);
    expect(blobs).toContain(sha256Digest(sbom));
    expect(await layout.blob(image.image.manifestDescriptor.digest)).toEqual(image.image.manifest);
  });

  it('refuses anonymous and foreign access to the private repository', async () => {
    const anonymous = await runFails(bin, ['manifest', 'fetch', '--plain-http', target('alice/oras-app:v1')]);
    expect(anonymous.stderr).toMatch(AUTH_REFUSED);
    const bob = await runFails(bin, ['pull', '--plain-http', '-u', 'bob', '-p', PASSWORD, '-o', path.join(ctx.work, 'bob'), target('alice/notes:v1')]);
    expect(bob.stderr).toMatch(AUTH_REFUSED);
  });
});
