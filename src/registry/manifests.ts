import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { Invalid, NotFound, TooLarge } from '../errors.js';
import {
  isDigest,
  MAX_MANIFEST_BYTES,
  MediaTypes,
  manifestPolicyFromConfig,
  parseDigest,
  parseManifest,
} from '../manifest/index.js';
import { storePushedManifest } from '../model/manifest-push.js';
import { deleteManifest, findRepositoryAndManifest, listReferrers, unknownManifest } from '../model/manifests.js';
import type { RepositoryWithNamespace } from '../model/repositories.js';
import { queueRepositoryEvent } from '../model/repository-events.js';
import { deleteTag, validateTagName } from '../model/tags.js';
import { repositoryEventData } from '../notifications/event-data.js';
import { readBounded } from '../storage/read-bounded.js';
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
import { registryService } from '../net/public-host.js';
import { countManifestPush } from './request-metrics.js';
import { registryLogEntry } from './usage-log.js';

async function readManifestBody(stream: Readable): Promise<Buffer> {
  const bytes = await readBounded(stream, MAX_MANIFEST_BYTES);
  if (!bytes) throw new TooLarge(`manifest exceeds ${MAX_MANIFEST_BYTES} bytes`);
  return bytes;
}

function checkReference(reference: string): void {
  if (isDigest(reference) || reference.includes(':')) parseDigest(reference);
  else validateTagName(reference);
}

export async function getManifestHandler(call: RepositoryCall, reference: string, head: boolean): Promise<FastifyReply> {
  const found = await findRepositoryAndManifest(call.ctx.db, call.ref, reference);
  const repo = await checkRepository(call, 'pull', found.repository);
  const manifest = found.manifest;
  if (!manifest) throw unknownManifest(reference);
  if (!head) {
    // Batched: a pull must not wait for an INSERT.
    const pulled = isDigest(reference) ? { manifest_digest: reference } : { tag: reference };
    call.ctx.usageLogs.recordSoon(registryLogEntry(call, repo, 'pull_repo', { ...pulled, mediaType: manifest.mediaType }));
  }
  const reply = call.reply
    .code(200)
    .header('Docker-Content-Digest', manifest.digest)
    .header('Content-Type', manifest.mediaType)
    .header('Content-Length', manifest.content.length)
    .header('ETag', `"${manifest.digest}"`);
  return head ? reply.send() : reply.send(manifest.content);
}

/**
 * What a tag push leaves behind besides the tag: the push_repo log entry (batched, like pulls) and
 * the repo_push event, whose pull address and web page use the registry's public host.
 */
async function announcePush(call: RepositoryCall, repo: RepositoryWithNamespace, tag: string, mediaType: string): Promise<void> {
  const { config } = call.ctx;
  call.ctx.usageLogs.recordSoon(registryLogEntry(call, repo, 'push_repo', { tag, mediaType }));
  const publicConfig = { ...config, SERVER_HOSTNAME: registryService(config, call.request.headers.host) };
  const eventData = repositoryEventData(publicConfig, repo.namespace_name, repo.name, { updated_tags: [tag] });
  const queued = await queueRepositoryEvent(call.ctx.db, repo.id, 'repo_push', eventData);
  if (queued > 0) call.ctx.metrics.queueItemPuts.inc({ queue_name: 'notification' }, queued);
}

export async function putManifestHandler(call: RepositoryCall, reference: string): Promise<FastifyReply> {
  checkReference(reference);
  await authorizePush(call);
  const bytes = await readManifestBody(call.request.body as Readable);
  if (bytes.length === 0) throw new Invalid('manifest', 'the manifest body is empty');
  const contentType = call.request.headers['content-type'];
  const policy = manifestPolicyFromConfig(call.ctx.config);
  // Validate before creating anything, so a bad manifest to a new name leaves no empty repository.
  const parsed = parseManifest(bytes, contentType, policy);
  const repo = await openRepositoryForPush(call);
  const result = await storePushedManifest(call.ctx, repo, { reference, bytes, parsed }, call.request.log);
  if (result.tag) await announcePush(call, repo, result.tag, parsed.mediaType);
  countManifestPush(call.ctx.metrics, 201, parsed.mediaType);
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
  if (isDigest(reference)) {
    await deleteManifest(call.ctx.db, repo.id, reference);
  } else {
    await deleteTag(call.ctx.db, repo.id, reference);
    await call.ctx.usageLogs.record(registryLogEntry(call, repo, 'delete_tag', { tag: reference }));
  }
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
