import { type AuthorizeDeps, repositoryActions } from '../auth/authorize.js';
import type { Identity } from '../auth/principal.js';
import { type BlobRecord, findBlob, repositoriesHoldingBlob } from '../model/blobs.js';
import { findRepository, findRepositoryRefById, type RepositoryRef } from '../model/repositories.js';

/** How many other repositories holding a blob are asked before the blob is copied from the remote. */
const MOUNT_CANDIDATES = 20;

export interface MountSource {
  blob: BlobRecord;
  repository: RepositoryRef;
}

/**
 * A repository of this registry the blob may be linked from into `repositoryId`: one that holds it
 * and that the mirror robot may pull, the rule of the registry's own cross-repository mount. So a
 * remote registry naming a digest cannot make the mirror expose a private blob it never had.
 */
export async function blobMountSource(
  deps: AuthorizeDeps,
  robot: Identity,
  repositoryId: number,
  digest: string,
): Promise<MountSource | undefined> {
  const blob = await findBlob(deps.db, digest);
  if (!blob) return undefined;
  for (const candidateId of await repositoriesHoldingBlob(deps.db, blob.id, repositoryId, MOUNT_CANDIDATES)) {
    const repository = await findRepositoryRefById(deps.db, candidateId);
    // A repository being deleted no longer exists for anyone, whatever the robot could create.
    const live = repository && (await findRepository(deps.db, repository));
    if (!repository || !live) continue;
    if ((await repositoryActions(deps, robot, repository, live)).has('pull')) return { blob, repository };
  }
  return undefined;
}
