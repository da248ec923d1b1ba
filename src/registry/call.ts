import type { FastifyReply, FastifyRequest } from 'fastify';
import { authorizeRepository, type RepositoryAction, repositoryCreation } from '../auth/authorize.js';
import type { Actor } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { Invalid, NotFound, ReadOnly, RegistryReadOnly, Unauthorized } from '../errors.js';
import { findNamespace, type Namespace } from '../model/namespaces.js';
import { createOrganization } from '../model/organizations.js';
import { ensureRepositoryWithPermissions } from '../model/repository-creation.js';
import {
  findRepository,
  formatRepositoryRef,
  parseRepositoryPath,
  type RepositoryRef,
  type RepositoryWithNamespace,
} from '../model/repositories.js';

/** One /v2/<name>/... request after authentication. */
export interface RepositoryCall {
  ctx: AppContext;
  request: FastifyRequest;
  reply: FastifyReply;
  actor: Actor;
  /** The repository name exactly as the client wrote it in the path. */
  path: string;
  ref: RepositoryRef;
}

export function parseRegistryName(ctx: AppContext, path: string): RepositoryRef {
  const ref = parseRepositoryPath(path, ctx.config.FEATURE_LIBRARY_SUPPORT ? ctx.config.LIBRARY_NAMESPACE : undefined);
  if (!ctx.config.FEATURE_EXTENDED_REPOSITORY_NAMES && ref.name.includes('/')) {
    throw new Invalid('name', `nested repository names such as "${path}" are disabled on this registry`);
  }
  return ref;
}

/** Writes that add content (uploads, manifests) and writes that remove it; DISABLE_PUSHES stops only the first. */
type WriteKind = 'push' | 'delete';

function assertWritable(ctx: AppContext, kind: WriteKind, repo?: RepositoryWithNamespace): void {
  if (ctx.config.REGISTRY_STATE === 'readonly') throw new RegistryReadOnly();
  if (kind === 'push' && ctx.config.DISABLE_PUSHES) throw new ReadOnly('pushes are disabled on this registry');
  // A MIRROR repository takes writes from its mirror robot only; authorize() has checked who is pushing.
  if (repo && repo.state !== 'NORMAL' && repo.state !== 'MIRROR') {
    throw new ReadOnly(`repository is in state ${repo.state} and cannot be written`);
  }
}

/** Authorizes `action` and loads the repository; a missing one is NAME_UNKNOWN. */
export async function openRepository(call: RepositoryCall, action: RepositoryAction): Promise<RepositoryWithNamespace> {
  if (action !== 'pull') assertWritable(call.ctx, 'push');
  return checkRepository(call, action, await findRepository(call.ctx.db, call.ref));
}

/** openRepository for a repository row the caller has already loaded (undefined: none exists). */
export async function checkRepository(
  call: RepositoryCall,
  action: RepositoryAction,
  repo: RepositoryWithNamespace | undefined,
  writeKind: WriteKind = 'push',
): Promise<RepositoryWithNamespace> {
  await authorizeRepository(call.ctx, call.actor, call.ref, action, call.path, repo ?? null);
  if (!repo) throw new NotFound('repository', `repository ${formatRepositoryRef(call.ref)} not found`);
  if (action !== 'pull') assertWritable(call.ctx, writeKind, repo);
  return repo;
}

/** For deleting blobs, manifests and tags: write access, as in Quay; allowed while DISABLE_PUSHES is on. */
export async function openRepositoryForDelete(call: RepositoryCall): Promise<RepositoryWithNamespace> {
  assertWritable(call.ctx, 'delete');
  return checkRepository(call, 'push', await findRepository(call.ctx.db, call.ref), 'delete');
}

/** Checks that the registry accepts writes and that the caller may push to the repository. */
export async function authorizePush(call: RepositoryCall): Promise<void> {
  assertWritable(call.ctx, 'push');
  await authorizeRepository(call.ctx, call.actor, call.ref, 'push', call.path);
}

/**
 * Authorizes a push and creates the repository on first push (CREATE_PRIVATE_REPO_ON_PUSH decides
 * visibility), creating its namespace as an organization first when CREATE_NAMESPACE_ON_PUSH allows.
 */
export async function openRepositoryForPush(call: RepositoryCall): Promise<RepositoryWithNamespace> {
  assertWritable(call.ctx, 'push');
  const existing = await findRepository(call.ctx.db, call.ref);
  await authorizeRepository(call.ctx, call.actor, call.ref, 'push', call.path, existing ?? null);
  if (existing) {
    assertWritable(call.ctx, 'push', existing);
    return existing;
  }
  const { principal } = call.actor;
  if (principal.kind === 'anonymous') throw new Unauthorized('authentication required to create a repository');
  const namespace = await pushNamespace(call, principal.id);
  const repo = await ensureRepositoryWithPermissions(call.ctx.db, {
    namespace,
    name: call.ref.name,
    visibility: call.ctx.config.CREATE_PRIVATE_REPO_ON_PUSH ? 'private' : 'public',
    creatorId: principal.id,
  });
  assertWritable(call.ctx, 'push', repo);
  return repo;
}

/** The namespace a first push creates its repository in; with CREATE_NAMESPACE_ON_PUSH, a new organization. */
async function pushNamespace(call: RepositoryCall, creatorId: number): Promise<Namespace> {
  const existing = await findNamespace(call.ctx.db, call.ref.namespace);
  if (existing) return existing;
  if ((await repositoryCreation(call.ctx, call.actor, call.ref.namespace)) !== 'create-organization') {
    throw new NotFound('namespace', `namespace ${call.ref.namespace} does not exist`);
  }
  try {
    return await createOrganization(call.ctx.db, call.ctx.config, { name: call.ref.namespace, creatorId });
  } catch (err) {
    // A concurrent first push may have created it.
    const raced = await findNamespace(call.ctx.db, call.ref.namespace);
    if (raced) return raced;
    throw err;
  }
}

/** Query string parameter as a single string (the first when repeated). */
export function queryParam(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

export function encodeRepositoryPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
