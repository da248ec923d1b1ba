import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { Invalid, NotFound, TooLarge } from '../errors.js';
import { isDigest, MAX_MANIFEST_BYTES, MediaTypes, manifestPolicyFromConfig, parseDigest, parseManifest } from '../manifest/index.js';
import {
  deleteManifest,
  findRepositoryAndManifest,
  listReferrers,
  putManifest,
  unknownManifest,
} from '../model/manifests.js';
import { deleteTag, validateTagName } from '../model/tags.js';
import {
  authorizePush,
  checkRepository,
  encodeRepositoryPath,
  openRepository,
  openRepositoryForDelete,
  openRepositoryForPush,
  queryParam,
  type RepositoryCall,
} from './call.js';

async function readLimited(stream: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > limit) {
      stream.destroy();
      throw new TooLarge(`manifest exceeds ${limit} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function checkReference(reference: string): void {
  if (isDigest(reference) || reference.includes(':')) parseDigest(reference);
  else validateTagName(reference);
}

export async function getManifestHandler(call: RepositoryCall, reference: string, head: boolean): Promise<FastifyReply> {
  const found = await findRepositoryAndManifest(call.ctx.db, call.ref, reference);
  await checkRepository(call, 'pull', found.repository);
  const manifest = found.manifest;
  if (!manifest) throw unknownManifest(reference);
  const reply = call.reply
    .code(200)
    .header('Docker-Content-Digest', manifest.digest)
    .header('Content-Type', manifest.mediaType)
    .header('Content-Length', manifest.content.length)
    .header('ETag', `"${manifest.digest}"`);
  return head ? reply.send() : reply.send(manifest.content);
}

export async function putManifestHandler(call: RepositoryCall, reference: string): Promise<FastifyReply> {
  checkReference(reference);
  await authorizePush(call);
  const bytes = await readLimited(call.request.body as Readable, MAX_MANIFEST_BYTES);
  if (bytes.length === 0) throw new Invalid('manifest', 'the manifest body is empty');
  const contentType = call.request.headers['content-type'];
  const policy = manifestPolicyFromConfig(call.ctx.config);
  // Validate before creating anything, so a bad manifest to a new name leaves no empty repository.
  const parsed = parseManifest(bytes, contentType, policy);
  const repo = await openRepositoryForPush(call);
  const result = await putManifest(call.ctx.db, { repositoryId: repo.id, reference, bytes, parsed });
  const reply = call.reply
    .code(201)
    .header('Location', `/v2/${encodeRepositoryPath(call.path)}/manifests/${result.digest}`)
    .header('Docker-Content-Digest', result.digest)
    .header('Content-Length', 0);
  if (result.subjectDigest) reply.header('OCI-Subject', result.subjectDigest);
  return reply.send();
}

/** DELETE by digest removes the manifest (and its tags); DELETE by tag removes only the tag. */
export async function deleteManifestHandler(call: RepositoryCall, reference: string): Promise<FastifyReply> {
  checkReference(reference);
  const repo = await openRepositoryForDelete(call);
  if (isDigest(reference)) await deleteManifest(call.ctx.db, repo.id, reference);
  else await deleteTag(call.ctx.db, repo.id, reference);
  return call.reply.code(202).header('Content-Length', 0).send();
}

export async function referrersHandler(call: RepositoryCall, digest: string): Promise<FastifyReply> {
  // Clients fall back to the referrers tag schema when the endpoint answers 404.
  if (!call.ctx.config.FEATURE_REFERRERS_API) throw new NotFound('repository', 'the referrers API is disabled');
  parseDigest(digest);
  const repo = await openRepository(call, 'pull');
  const artifactType = queryParam(call.request, 'artifactType');
  const manifests = await listReferrers(call.ctx.db, repo.id, digest, artifactType);
  if (artifactType !== undefined) call.reply.header('OCI-Filters-Applied', 'artifactType');
  const index = { schemaVersion: 2, mediaType: MediaTypes.OCI_INDEX, manifests };
  return call.reply
    .code(200)
    .header('Content-Type', MediaTypes.OCI_INDEX)
    .send(Buffer.from(JSON.stringify(index)));
}
