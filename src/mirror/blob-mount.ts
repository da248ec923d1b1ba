import { type AuthorizeDeps, blobMountSource } from '../auth/authorize.js';
import { type BlobRecord, findBlob } from '../model/blobs.js';
import type { RepositoryWithNamespace } from '../model/repositories.js';

export interface MountSource {
  blob: BlobRecord;
  repository: RepositoryWithNamespace;
}

/**
 * A repository of this registry the blob may be linked from into the mirror `repositoryId`: only a
 * public one, which anyone may read anyway. The digests come from the remote registry, so linking
 * from a repository only the mirror robot may read would let whoever controls the remote (or can
 * read the mirror) obtain a private blob by naming its digest; every other blob is streamed from
 * the remote and verified.
 */
export async function mirrorMountSource(deps: AuthorizeDeps, repositoryId: number, digest: string): Promise<MountSource | undefined> {
  const blob = await findBlob(deps.db, digest);
  if (!blob) return undefined;
  const repository = await blobMountSource(deps, 'public', blob.id, repositoryId);
  return repository && { blob, repository };
}
