import type { Kysely } from 'kysely';
import type { QuaysideConfig } from '../config/load.js';
import type { Database } from '../db/tables.js';
import type { ParsedManifest } from '../manifest/index.js';
import type { Storage } from '../storage/storage.js';
import { isImageConfigMediaType, readImageConfig } from './image-config.js';
import { manifestExists, type PutManifestResult, putManifest } from './manifests.js';
import { checkPushQuota, quotaEnforced } from './quota-enforcement.js';
import { requestQuotaRecount } from './quota-recount.js';

/**
 * Stores a manifest the way a push does, for every writer of manifests: the registry's manifest PUT
 * and the repository mirror. The image config's labels become manifest labels, the namespace's
 * quota is checked first and recounted after, and the manifest (and the tag, for a tag reference)
 * is stored in one transaction by putManifest.
 */

export interface ManifestPushDeps {
  db: Kysely<Database>;
  storage: Storage;
  config: QuaysideConfig;
}

/** The repository receiving the push. */
export interface PushedRepository {
  id: number;
  namespace_id: number;
  namespace_name: string;
}

/** Where a push reports what it could not do without failing (an unreadable image config). */
export interface PushWarnings {
  warn(details: Record<string, unknown>, message: string): void;
}

export interface PushedManifest {
  /** A tag name or the digest of `bytes`. */
  reference: string;
  bytes: Buffer;
  /** parseManifest over exactly `bytes`, under the registry's manifest policy. */
  parsed: ParsedManifest;
}

/**
 * The labels of the image config of a manifest this push creates, to be stored as `manifest`
 * labels. The push never fails for them: an unreadable config only costs its labels.
 */
async function configLabelsForPush(
  deps: ManifestPushDeps,
  repositoryId: number,
  parsed: ParsedManifest,
  warnings: PushWarnings,
): Promise<Record<string, string> | undefined> {
  const config = parsed.config;
  if (parsed.kind !== 'image' || !config || !isImageConfigMediaType(config.mediaType)) return undefined;
  if (await manifestExists(deps.db, repositoryId, parsed.digest)) return undefined;
  try {
    const summary = await readImageConfig(deps.db, deps.storage, repositoryId, config.digest);
    if (!summary) warnings.warn({ config: config.digest }, 'image config missing, too large or not JSON: its labels are not imported');
    return summary?.labels;
  } catch (err) {
    warnings.warn({ err, config: config.digest }, 'could not read the image config: its labels are not imported');
    return undefined;
  }
}

/** Stores a pushed manifest; throws QuotaExceeded, or Invalid when a blob or child manifest is missing. */
export async function storePushedManifest(
  deps: ManifestPushDeps,
  repo: PushedRepository,
  manifest: PushedManifest,
  warnings: PushWarnings,
): Promise<PutManifestResult> {
  const { parsed } = manifest;
  const configLabels = await configLabelsForPush(deps, repo.id, parsed, warnings);
  if (quotaEnforced(deps.config)) {
    const blobDigests = parsed.requiredBlobs.map((b) => b.digest);
    await checkPushQuota(deps.db, deps.config, { namespaceId: repo.namespace_id, namespaceName: repo.namespace_name, blobDigests });
  }
  const result = await putManifest(deps.db, { repositoryId: repo.id, reference: manifest.reference, bytes: manifest.bytes, parsed, configLabels });
  if (deps.config.FEATURE_QUOTA_MANAGEMENT) await requestQuotaRecount(deps.db, repo.namespace_id);
  return result;
}
