import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifactManifest,
  type BuiltManifest,
  blobOf,
  imageIndex,
  imageManifest,
  MEDIA_TYPES,
  manifestDescriptor,
  randomBlob,
  randomImage,
  unknownDigest,
} from '../helpers/blobs.js';
import { testDialects } from '../helpers/databases.js';
import { nextLink, type RegistryClient } from '../helpers/http.js';
import { asRecord, type ConformanceEnv, expectChallenge, expectOciError, expectStatus, startConformanceEnv } from './support.js';

/** OCI Distribution Spec v1.1, "Content Discovery": tags list, catalog, referrers. */

const SBOM_TYPE = 'application/spdx+json';
const SIGNATURE_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json';
const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
const HELM_CHART = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

/** Lexical (case-insensitive) or ASCIIbetical order, as the spec allows. */
function expectSorted(list: string[]): void {
  const ascii = [...list].sort();
  const lexical = [...list].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()) || (a < b ? -1 : 1));
  expect([JSON.stringify(ascii), JSON.stringify(lexical)], `not sorted: ${JSON.stringify(list)}`).toContain(
    JSON.stringify(list),
  );
}

function stringList(body: unknown, key: string): string[] {
  const record = asRecord(body);
  const list = record[key];
  expect(Array.isArray(list), `${key} is not an array: ${JSON.stringify(body)}`).toBe(true);
  return (list as unknown[]).map((item) => {
    expect(typeof item).toBe('string');
    return item as string;
  });
}

/** Follows Link rel="next" from `first`, collecting the `key` lists; checks page sizes against n. */
async function paginate(client: RegistryClient, first: string, key: string, n: number): Promise<string[][]> {
  const pages: string[][] = [];
  let url: string | null = first;
  for (let guard = 0; url !== null && guard < 50; guard++) {
    const res = await client.get(url);
    expectStatus(res, 200);
    const page = stringList(res.json(), key);
    expect(page.length, res.describe()).toBeLessThanOrEqual(n);
    pages.push(page);
    const next = nextLink(res);
    if (next !== null) {
      expect(page.length, `a page with a next Link must be full: ${res.describe()}`).toBe(n);
      expect(new URL(next, client.baseUrl).searchParams.get('last')).toBe(page.at(-1));
    }
    url = next;
  }
  expect(url, 'pagination did not end').toBeNull();
  return pages;
}

describe.each(testDialects())('content discovery (%s)', (dialect) => {
  let env: ConformanceEnv;
  beforeAll(async () => {
    env = await startConformanceEnv(dialect);
  });
  afterAll(async () => {
    await env?.close();
  });

  describe('tags list', () => {
    const TAGS = ['v2', 'latest', '1.0', '1.10', '1.9', 'alpha', 'beta_1', 'rc-1', 'zeta', 'Upper', 'MixedCase'];
    let repo: string;

    beforeAll(async () => {
      repo = env.repo('tags');
      const image = randomImage(1);
      await env.alice.pushImage(repo, 'v2', image);
      for (const tag of TAGS.slice(1)) expectStatus(await env.alice.putManifest(repo, tag, image.manifest), 201);
    });

    it('lists every tag, sorted, with the repository name', async () => {
      const res = await env.alice.get(`/v2/${repo}/tags/list`);
      expectStatus(res, 200);
      expect(res.header('content-type')).toMatch(/^application\/json\b/);
      const body = asRecord(res.json());
      expect(body['name']).toBe(repo);
      const tags = stringList(body, 'tags');
      expect([...tags].sort()).toEqual([...TAGS].sort());
      expectSorted(tags);
    });

    it('n limits the page and Link rel="next" leads through every tag exactly once', async () => {
      const all = stringList((await env.alice.get(`/v2/${repo}/tags/list`)).json(), 'tags');
      const pages = await paginate(env.alice, `/v2/${repo}/tags/list?n=4`, 'tags', 4);
      expect(pages.map((p) => p.length)).toEqual([4, 4, 3]);
      expect(pages.flat()).toEqual(all);
    });

    it('a first page of n tags carries a Link header of the form <url>; rel="next"', async () => {
      const res = await env.alice.get(`/v2/${repo}/tags/list?n=2`);
      expectStatus(res, 200);
      expect(res.header('link')).toMatch(/^<[^>]+>;\s*rel="next"$/);
      const next = new URL(nextLink(res)!, env.registry.url);
      expect(next.pathname).toBe(`/v2/${repo}/tags/list`);
      expect(next.searchParams.get('n')).toBe('2');
    });

    it('n=0 returns an empty list and no Link', async () => {
      const res = await env.alice.get(`/v2/${repo}/tags/list?n=0`);
      expectStatus(res, 200);
      expect(stringList(res.json(), 'tags')).toEqual([]);
      expect(res.header('link')).toBeNull();
    });

    it('last returns the tags after it (without n too)', async () => {
      const all = stringList((await env.alice.get(`/v2/${repo}/tags/list`)).json(), 'tags');
      const pivot = all[3]!;
      const after = await env.alice.get(`/v2/${repo}/tags/list?last=${encodeURIComponent(pivot)}`);
      expectStatus(after, 200);
      expect(stringList(after.json(), 'tags')).toEqual(all.slice(4));
      const page = await env.alice.get(`/v2/${repo}/tags/list?n=2&last=${encodeURIComponent(pivot)}`);
      expect(stringList(page.json(), 'tags')).toEqual(all.slice(4, 6));
    });

    it('last need not be an existing tag: the list continues after its position', async () => {
      const all = stringList((await env.alice.get(`/v2/${repo}/tags/list`)).json(), 'tags');
      const res = await env.alice.get(`/v2/${repo}/tags/list?last=m`);
      expectStatus(res, 200);
      const after = stringList(res.json(), 'tags');
      expect(after.length).toBeGreaterThan(0);
      expect(after).toEqual(all.slice(all.length - after.length));
      expect(after.every((t) => t > 'm' || t.toLowerCase() > 'm')).toBe(true);
    });

    it('n larger than the list returns everything without a Link', async () => {
      const res = await env.alice.get(`/v2/${repo}/tags/list?n=1000`);
      expectStatus(res, 200);
      expect(stringList(res.json(), 'tags').length).toBe(TAGS.length);
      expect(res.header('link')).toBeNull();
    });

    it('a repository without tags lists an empty array', async () => {
      const empty = env.repo('notags');
      await env.alice.pushBlob(empty, randomBlob());
      const res = await env.alice.get(`/v2/${empty}/tags/list`);
      expectStatus(res, 200);
      expect(res.json()).toEqual({ name: empty, tags: [] });
    });

    it('a malformed n is 400 or ignored, never a 500', async () => {
      for (const n of ['-1', 'abc']) {
        const res = await env.alice.get(`/v2/${repo}/tags/list?n=${n}`);
        if (res.status !== 200) expectOciError(res, 400, ['PAGINATION_NUMBER_INVALID', 'UNSUPPORTED', 'BLOB_UPLOAD_INVALID', 'NAME_INVALID']);
      }
    });

    it('unknown repository: 404 NAME_UNKNOWN for the owner, 401 for anonymous', async () => {
      const missing = env.repo('notthere');
      expectOciError(await env.alice.get(`/v2/${missing}/tags/list`), 404, 'NAME_UNKNOWN');
      expectChallenge(await env.anonymous.get(`/v2/${missing}/tags/list`), env.registry.host, `repository:${missing}:pull`);
    });
  });

  describe('catalog', () => {
    let aliceRepos: string[];
    let bobPrivate: string;
    let bobPublic: string;

    beforeAll(async () => {
      aliceRepos = ['alice/cat-a', 'alice/cat-b', 'alice/cat-b/nested', 'alice/cat-c', 'alice/cat-d'];
      for (const repo of aliceRepos) await env.alice.pushImage(repo, 'latest', randomImage(1));
      bobPrivate = 'bob/cat-private';
      bobPublic = 'bob/cat-public';
      await env.bob.pushImage(bobPrivate, 'latest', randomImage(1));
      await env.bob.pushImage(bobPublic, 'latest', randomImage(1));
      await env.makePublic(bobPublic);
    });

    it('lists what the caller may read, sorted: own repositories and public ones, not others\' private ones', async () => {
      const res = await env.alice.get('/v2/_catalog');
      expectStatus(res, 200);
      const repos = stringList(res.json(), 'repositories');
      for (const repo of aliceRepos) expect(repos).toContain(repo);
      expect(repos).toContain(bobPublic);
      expect(repos).not.toContain(bobPrivate);
      expectSorted(repos);
      const bob = stringList((await env.bob.get('/v2/_catalog')).json(), 'repositories');
      expect(bob).toContain(bobPrivate);
      expect(bob.filter((r) => r.startsWith('alice/'))).toEqual([]);
    });

    it('n and Link paginate the catalog', async () => {
      const all = stringList((await env.alice.get('/v2/_catalog')).json(), 'repositories');
      const pages = await paginate(env.alice, '/v2/_catalog?n=2', 'repositories', 2);
      expect(pages.flat()).toEqual(all);
      expect(pages.length).toBe(Math.ceil(all.length / 2));
    });

    it('last returns the repositories after it; n=0 returns none and no Link', async () => {
      const all = stringList((await env.alice.get('/v2/_catalog')).json(), 'repositories');
      const after = await env.alice.get(`/v2/_catalog?n=100&last=${encodeURIComponent(all[1]!)}`);
      expect(stringList(after.json(), 'repositories')).toEqual(all.slice(2));
      const none = await env.alice.get('/v2/_catalog?n=0');
      expectStatus(none, 200);
      expect(stringList(none.json(), 'repositories')).toEqual([]);
      expect(none.header('link')).toBeNull();
    });

    it('anonymous catalog (FEATURE_PUBLIC_CATALOG off) is 401, or lists only public repositories', async () => {
      const res = await env.anonymous.get('/v2/_catalog');
      if (res.status === 200) {
        const repos = stringList(res.json(), 'repositories');
        expect(repos.every((r) => r === bobPublic)).toBe(true);
      } else {
        expectOciError(res, 401, 'UNAUTHORIZED');
        expect(res.header('www-authenticate')).toMatch(/^Bearer /);
      }
    });
  });

  describe('referrers', () => {
    let repo: string;
    let subject: BuiltManifest;
    let sbom: BuiltManifest;
    let signature: BuiltManifest;
    let helm: BuiltManifest;
    let index: BuiltManifest;
    let typedIndex: BuiltManifest;
    let otherRepo: string;
    let foreign: BuiltManifest;

    beforeAll(async () => {
      repo = env.repo('referrers');
      const image = randomImage(1);
      subject = image.manifest;
      const subjectDescriptor = manifestDescriptor(subject);

      // Pushed BEFORE its subject exists: the registry must accept it.
      const sbomArtifact = artifactManifest({
        artifactType: SBOM_TYPE,
        blobMediaType: SBOM_TYPE,
        subject: subjectDescriptor,
        annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z', 'org.example.sbom.format': 'json' },
      });
      sbom = sbomArtifact.manifest;
      await env.alice.pushImage(repo, sbom.digest, sbomArtifact);
      await env.alice.pushImage(repo, 'subject', image);

      const sigArtifact = artifactManifest({
        artifactType: SIGNATURE_TYPE,
        blobMediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
        subject: subjectDescriptor,
        annotations: { 'org.example.signature.fingerprint': 'abcd' },
      });
      signature = sigArtifact.manifest;
      await env.alice.pushImage(repo, signature.digest, sigArtifact);

      // No artifactType: the referrers descriptor takes the config media type.
      const chartConfig = blobOf(JSON.stringify({ name: 'chart', version: '0.1.0', apiVersion: 'v2' }));
      const chart = randomBlob(512);
      helm = imageManifest({
        config: chartConfig,
        configMediaType: HELM_CONFIG,
        layers: [chart],
        layerMediaType: HELM_CHART,
        subject: subjectDescriptor,
        annotations: { 'org.example.kind': 'chart' },
      });
      await env.alice.pushImage(repo, helm.digest, { manifest: helm, blobs: [chartConfig, chart] });

      // An index with a subject and no artifactType: artifactType omitted.
      const child = randomImage(1);
      await env.alice.pushImage(repo, child.manifest.digest, child);
      index = imageIndex({
        manifests: [manifestDescriptor(child.manifest)],
        subject: subjectDescriptor,
        annotations: { 'org.example.index': 'yes' },
      });
      const indexPut = await env.alice.putManifest(repo, index.digest, index);
      expectStatus(indexPut, 201);
      expect(indexPut.header('oci-subject')).toBe(subject.digest);

      // An index with artifactType keeps it in its descriptor.
      typedIndex = imageIndex({
        manifests: [manifestDescriptor(child.manifest)],
        artifactType: 'application/vnd.example.bundle.v1',
        subject: subjectDescriptor,
      });
      expectStatus(await env.alice.putManifest(repo, typedIndex.digest, typedIndex), 201);

      // Referrers of something else, and of the same digest in another repository: never listed.
      const elsewhere = artifactManifest({ artifactType: SBOM_TYPE, blobMediaType: SBOM_TYPE, subject: manifestDescriptor(child.manifest) });
      await env.alice.pushImage(repo, elsewhere.manifest.digest, elsewhere);
      otherRepo = env.repo('referrers-other');
      const foreignArtifact = artifactManifest({ artifactType: SBOM_TYPE, blobMediaType: SBOM_TYPE, subject: subjectDescriptor });
      foreign = foreignArtifact.manifest;
      await env.alice.pushImage(otherRepo, foreign.digest, foreignArtifact);
    });

    function descriptorsByDigest(body: unknown): Map<string, Record<string, unknown>> {
      const record = asRecord(body);
      expect(record['schemaVersion']).toBe(2);
      expect(record['mediaType']).toBe(MEDIA_TYPES.ociIndex);
      const manifests = record['manifests'];
      expect(Array.isArray(manifests), JSON.stringify(body)).toBe(true);
      const map = new Map<string, Record<string, unknown>>();
      for (const entry of manifests as unknown[]) {
        const descriptor = asRecord(entry);
        expect(typeof descriptor['digest']).toBe('string');
        map.set(descriptor['digest'] as string, descriptor);
      }
      return map;
    }

    it('lists every manifest whose subject is the digest, as an OCI image index', async () => {
      const res = await env.alice.get(`/v2/${repo}/referrers/${subject.digest}`);
      expectStatus(res, 200);
      expect(res.header('content-type')).toBe(MEDIA_TYPES.ociIndex);
      expect(res.header('oci-filters-applied')).toBeNull();
      const found = descriptorsByDigest(res.json());
      expect([...found.keys()].sort()).toEqual(
        [sbom.digest, signature.digest, helm.digest, index.digest, typedIndex.digest].sort(),
      );
      expect(found.get(typedIndex.digest)).toMatchObject({
        mediaType: MEDIA_TYPES.ociIndex,
        size: typedIndex.size,
        artifactType: 'application/vnd.example.bundle.v1',
      });
      expect(found.get(sbom.digest)).toEqual({
        mediaType: MEDIA_TYPES.ociManifest,
        digest: sbom.digest,
        size: sbom.size,
        artifactType: SBOM_TYPE,
        annotations: { 'org.opencontainers.image.created': '2024-01-01T00:00:00Z', 'org.example.sbom.format': 'json' },
      });
      expect(found.get(signature.digest)).toMatchObject({ artifactType: SIGNATURE_TYPE, size: signature.size });
      expect(found.get(helm.digest)).toEqual({
        mediaType: MEDIA_TYPES.ociManifest,
        digest: helm.digest,
        size: helm.size,
        artifactType: HELM_CONFIG,
        annotations: { 'org.example.kind': 'chart' },
      });
      const indexDescriptor = found.get(index.digest)!;
      expect(indexDescriptor).toMatchObject({ mediaType: MEDIA_TYPES.ociIndex, size: index.size });
      expect(indexDescriptor['annotations']).toEqual({ 'org.example.index': 'yes' });
      expect('artifactType' in indexDescriptor && indexDescriptor['artifactType'] !== undefined).toBe(false);
    });

    it('?artifactType= filters and answers OCI-Filters-Applied: artifactType', async () => {
      const res = await env.alice.get(`/v2/${repo}/referrers/${subject.digest}?artifactType=${encodeURIComponent(SBOM_TYPE)}`);
      expectStatus(res, 200);
      expect(res.header('content-type')).toBe(MEDIA_TYPES.ociIndex);
      expect(res.header('oci-filters-applied')).toBe('artifactType');
      expect([...descriptorsByDigest(res.json()).keys()]).toEqual([sbom.digest]);

      const none = await env.alice.get(`/v2/${repo}/referrers/${subject.digest}?artifactType=application%2Fvnd.example.none`);
      expectStatus(none, 200);
      expect(none.header('oci-filters-applied')).toBe('artifactType');
      expect(descriptorsByDigest(none.json()).size).toBe(0);
    });

    it('an unknown digest has an empty referrers list (200, never 404)', async () => {
      const res = await env.alice.get(`/v2/${repo}/referrers/${unknownDigest()}`);
      expectStatus(res, 200);
      expect(res.header('content-type')).toBe(MEDIA_TYPES.ociIndex);
      expect(res.json()).toEqual({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests: [] });
    });

    it('a malformed digest is 400', async () => {
      const res = await env.alice.get(`/v2/${repo}/referrers/sha256:notadigest`);
      expectOciError(res, 400, ['DIGEST_INVALID', 'MANIFEST_INVALID', 'UNSUPPORTED']);
    });

    it('anonymous on a private repository is 401', async () => {
      expectChallenge(await env.anonymous.get(`/v2/${repo}/referrers/${subject.digest}`), env.registry.host, `repository:${repo}:pull`);
    });

    it('a referrer is listed under its own repository only', async () => {
      const res = await env.alice.get(`/v2/${otherRepo}/referrers/${subject.digest}`);
      expectStatus(res, 200);
      expect([...descriptorsByDigest(res.json()).keys()]).toEqual([foreign.digest]);
    });
  });
});
