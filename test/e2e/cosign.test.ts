import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RunOptions, requireClient, runFails, runOk } from '../helpers/clients.js';
import { testDialects } from '../helpers/databases.js';
import { createImageLayout, type LayoutImage, MEDIA_TYPES } from '../helpers/oci-layout.js';
import { basicAuth, PASSWORD, useRegistry } from './support.js';

const cosign = requireClient('cosign');
const skopeo = requireClient('skopeo');

const KEY_PASSWORD = 'cosign-e2e-key-password';
const COSIGN_SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const COSIGN_SIG_ARTIFACT_CONFIG = 'application/vnd.dev.cosign.artifact.sig.v1+json';
/** Operator-set ALLOWED_OCI_ARTIFACT_TYPES replaces the stock map, so the test repeats the image-config entry cosign's tag mode needs. */
const DEFAULT_ALLOWED_ARTIFACT_TYPES_FOR_TEST: Record<string, string[]> = {
  'application/vnd.oci.image.config.v1+json': [COSIGN_SIMPLESIGNING, 'application/vnd.dsse.envelope.v1+json'],
};

/**
 * Offline signing: a local key pair, no transparency log (--tlog-upload=false on sign,
 * --insecure-ignore-tlog on verify), no Fulcio, plain HTTP to the registry
 * (--allow-http-registry; --allow-insecure-registry for completeness).
 */
const REGISTRY_FLAGS = ['--allow-http-registry', '--allow-insecure-registry'];

interface SimpleSigningPayload {
  critical: { identity: { 'docker-reference': string }; image: { 'docker-manifest-digest': string }; type: string };
  optional: Record<string, unknown> | null;
}

describe.skipIf(!cosign || !skopeo).each(testDialects())('cosign against Quayside (%s)', (dialect) => {
  const ctx = useRegistry(dialect);
  const bin = cosign!;
  let image: LayoutImage;
  let keys: string;
  let otherKeys: string;
  let env: RunOptions['env'];
  let signedRef = '';

  const cosignRun = (args: string[], extraEnv: Record<string, string> = {}) =>
    runOk(bin, args, { env: { ...env, ...extraEnv }, cwd: ctx.work, timeoutMs: 60_000 });

  beforeAll(async () => {
    const home = path.join(ctx.work, 'home');
    keys = path.join(ctx.work, 'keys');
    otherKeys = path.join(ctx.work, 'other-keys');
    await mkdir(path.join(home, 'docker'), { recursive: true });
    await mkdir(keys, { recursive: true });
    await mkdir(otherKeys, { recursive: true });
    env = {
      HOME: home,
      DOCKER_CONFIG: path.join(home, 'docker'),
      TUF_ROOT: path.join(home, 'sigstore'),
      COSIGN_PASSWORD: KEY_PASSWORD,
      COSIGN_YES: 'true',
    };
    await runOk(bin, ['generate-key-pair'], { cwd: keys, env });
    await runOk(bin, ['generate-key-pair'], { cwd: otherKeys, env });

    image = await createImageLayout(path.join(ctx.work, 'image'), { seed: `cosign-${dialect}`, layers: 2 });
    await runOk(skopeo!, [
      'copy',
      '--dest-tls-verify=false',
      '--dest-creds',
      `alice:${PASSWORD}`,
      image.ref,
      `docker://${ctx.registry.host}/alice/signed:v1`,
    ]);
    signedRef = `${ctx.registry.host}/alice/signed@${image.image.manifestDescriptor.digest}`;
    // cosign reads registry credentials from the docker config file that `cosign login` writes.
    await runOk(bin, ['login', ctx.registry.host, '-u', 'alice', '-p', PASSWORD], { env });
  });

  it('signs the image by digest with a local key and no transparency log', async () => {
    await cosignRun(['sign', '--key', path.join(keys, 'cosign.key'), '--tlog-upload=false', ...REGISTRY_FLAGS, signedRef]);

    // cosign's default storage: a "sha256-<hex>.sig" tag in the same repository.
    const sigTag = `sha256-${image.image.manifestDescriptor.digest.slice('sha256:'.length)}.sig`;
    const triangulated = await cosignRun(['triangulate', ...REGISTRY_FLAGS, signedRef]);
    expect(triangulated.stdout.trim()).toBe(`${ctx.registry.host}/alice/signed:${sigTag}`);

    const response = await fetch(`${ctx.registry.url}/v2/alice/signed/manifests/${sigTag}`, {
      headers: { authorization: basicAuth('alice', PASSWORD), accept: MEDIA_TYPES.ociManifest },
    });
    expect(response.status).toBe(200);
    const manifest = (await response.json()) as { layers: { mediaType: string; annotations?: Record<string, string> }[] };
    expect(manifest.layers[0]?.mediaType).toBe(COSIGN_SIMPLESIGNING);
    expect(manifest.layers[0]?.annotations?.['dev.cosignproject.cosign/signature']).toBeTruthy();
  });

  it('verifies the signature with the public key, offline', async () => {
    const verified = await cosignRun([
      'verify',
      '--key',
      path.join(keys, 'cosign.pub'),
      '--insecure-ignore-tlog',
      ...REGISTRY_FLAGS,
      signedRef,
    ]);
    const payloads = JSON.parse(verified.stdout) as SimpleSigningPayload[];
    expect(payloads).toHaveLength(1);
    expect(payloads[0]!.critical.type).toBe('cosign container image signature');
    expect(payloads[0]!.critical.image['docker-manifest-digest']).toBe(image.image.manifestDescriptor.digest);
    expect(payloads[0]!.critical.identity['docker-reference']).toBe(`${ctx.registry.host}/alice/signed`);
  });

  it('rejects verification with a different key', async () => {
    const result = await runFails(
      bin,
      ['verify', '--key', path.join(otherKeys, 'cosign.pub'), '--insecure-ignore-tlog', ...REGISTRY_FLAGS, signedRef],
      { env, cwd: ctx.work, timeoutMs: 60_000 },
    );
    expect(result.stderr).toMatch(/no matching signatures|invalid signature|failed to verify/i);
  });

  it("refuses cosign's OCI 1.1 signature artifact under the stock artifact-type policy, naming the setting", async () => {
    // cosign --registry-referrers-mode=oci-1-1 pushes config.mediaType
    // application/vnd.dev.cosign.artifact.sig.v1+json, which Quay's default
    // ALLOWED_OCI_ARTIFACT_TYPES does not list; the next describe block allows it.
    const result = await runFails(
      bin,
      ['sign', '--key', path.join(keys, 'cosign.key'), '--tlog-upload=false', '--registry-referrers-mode=oci-1-1', ...REGISTRY_FLAGS, signedRef],
      { env: { ...env, COSIGN_EXPERIMENTAL: '1' }, cwd: ctx.work, timeoutMs: 60_000 },
    );
    expect(result.stderr).toMatch(/UNSUPPORTED/);
    expect(result.stderr).toMatch(/ALLOWED_OCI_ARTIFACT_TYPES/);
  });

  it('attaches and verifies an in-toto attestation', async () => {
    const predicate = path.join(ctx.work, 'predicate.json');
    await writeFile(predicate, JSON.stringify({ builder: 'quayside-e2e', dialect }));
    await cosignRun([
      'attest',
      '--key',
      path.join(keys, 'cosign.key'),
      '--tlog-upload=false',
      '--type',
      'https://quayside.example/e2e/v1',
      '--predicate',
      predicate,
      ...REGISTRY_FLAGS,
      signedRef,
    ]);
    const verified = await cosignRun([
      'verify-attestation',
      '--key',
      path.join(keys, 'cosign.pub'),
      '--insecure-ignore-tlog',
      '--type',
      'https://quayside.example/e2e/v1',
      ...REGISTRY_FLAGS,
      signedRef,
    ]);
    const envelope = JSON.parse(verified.stdout.trim().split('\n')[0]!) as { payloadType: string; payload: string };
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
      predicateType: string;
      subject: { digest: { sha256: string } }[];
      predicate: { builder: string };
    };
    expect(statement.predicateType).toBe('https://quayside.example/e2e/v1');
    expect(`sha256:${statement.subject[0]!.digest.sha256}`).toBe(image.image.manifestDescriptor.digest);
    expect(statement.predicate.builder).toBe('quayside-e2e');
  });
});

/** cosign's OCI 1.1 mode: the signature is a referrer of the image (subject), found through the referrers API. */
describe.skipIf(!cosign || !skopeo).each(testDialects())('cosign OCI 1.1 referrers mode against Quayside (%s)', (dialect) => {
  const ctx = useRegistry(dialect, {
    ALLOWED_OCI_ARTIFACT_TYPES: {
      ...DEFAULT_ALLOWED_ARTIFACT_TYPES_FOR_TEST,
      [COSIGN_SIG_ARTIFACT_CONFIG]: [COSIGN_SIMPLESIGNING],
    },
  });
  const bin = cosign!;

  it('signs with --registry-referrers-mode=oci-1-1 and verifies with --experimental-oci11', async () => {
    const home = path.join(ctx.work, 'home');
    const keys = path.join(ctx.work, 'keys');
    await mkdir(path.join(home, 'docker'), { recursive: true });
    await mkdir(keys, { recursive: true });
    const env = {
      HOME: home,
      DOCKER_CONFIG: path.join(home, 'docker'),
      TUF_ROOT: path.join(home, 'sigstore'),
      COSIGN_PASSWORD: KEY_PASSWORD,
      COSIGN_YES: 'true',
      COSIGN_EXPERIMENTAL: '1',
    };
    await runOk(bin, ['generate-key-pair'], { cwd: keys, env });
    const image = await createImageLayout(path.join(ctx.work, 'image'), { seed: `cosign-oci11-${dialect}`, layers: 1 });
    await runOk(skopeo!, [
      'copy',
      '--dest-tls-verify=false',
      '--dest-creds',
      `alice:${PASSWORD}`,
      image.ref,
      `docker://${ctx.registry.host}/alice/signed:v1`,
    ]);
    await runOk(bin, ['login', ctx.registry.host, '-u', 'alice', '-p', PASSWORD], { env });
    const digest = image.image.manifestDescriptor.digest;
    const target = `${ctx.registry.host}/alice/signed@${digest}`;

    await runOk(
      bin,
      ['sign', '--key', path.join(keys, 'cosign.key'), '--tlog-upload=false', '--registry-referrers-mode=oci-1-1', ...REGISTRY_FLAGS, target],
      { env, cwd: ctx.work, timeoutMs: 60_000 },
    );

    const response = await fetch(`${ctx.registry.url}/v2/alice/signed/referrers/${digest}`, {
      headers: { authorization: basicAuth('alice', PASSWORD) },
    });
    expect(response.status).toBe(200);
    const referrers = (await response.json()) as { manifests: { artifactType?: string; digest: string }[] };
    expect(referrers.manifests.map((m) => m.artifactType)).toEqual([COSIGN_SIG_ARTIFACT_CONFIG]);
    const tags = await fetch(`${ctx.registry.url}/v2/alice/signed/tags/list`, {
      headers: { authorization: basicAuth('alice', PASSWORD) },
    });
    expect(((await tags.json()) as { tags: string[] }).tags).toEqual(['v1']);

    const verified = await runOk(
      bin,
      ['verify', '--key', path.join(keys, 'cosign.pub'), '--insecure-ignore-tlog', '--experimental-oci11', ...REGISTRY_FLAGS, target],
      { env, cwd: ctx.work, timeoutMs: 60_000 },
    );
    const payloads = JSON.parse(verified.stdout) as SimpleSigningPayload[];
    expect(payloads.map((p) => p.critical.image['docker-manifest-digest'])).toEqual([digest]);
  });
});

