import type { Generated } from 'kysely';

/** Table types. Booleans are stored as 0/1 integers so both dialects bind them the same way. */

export type NamespaceKind = 'user' | 'organization' | 'robot';
export type RepositoryVisibility = 'public' | 'private';
export type RepositoryState = 'NORMAL' | 'READ_ONLY' | 'MIRROR' | 'MARKED_FOR_DELETION';

export interface NamespaceTable {
  id: Generated<number>;
  uuid: string;
  name: string;
  kind: NamespaceKind;
  email: string | null;
  password_hash: string | null;
  enabled: number;
  removed_tag_expiration_s: number;
  created_at: number;
  /** 1 when made a superuser by `quayside user create --superuser` (config SUPER_USERS also counts). */
  superuser: Generated<number>;
}

export interface RepositoryTable {
  id: Generated<number>;
  namespace_id: number;
  name: string;
  visibility: RepositoryVisibility;
  state: RepositoryState;
  description: string | null;
  created_at: number;
}

export interface BlobTable {
  id: Generated<number>;
  digest: string;
  size: number;
  created_at: number;
}

export interface BlobPlacementTable {
  blob_id: number;
  location: string;
}

export interface RepositoryBlobTable {
  repository_id: number;
  blob_id: number;
  /** Set while no manifest references the blob (PUSH_TEMP_TAG_EXPIRATION_SEC); NULL once one does. */
  expires_at: number | null;
}

export interface ManifestTable {
  id: Generated<number>;
  repository_id: number;
  digest: string;
  media_type: string;
  artifact_type: string | null;
  config_media_type: string | null;
  subject_digest: string | null;
  size: number;
  layers_size: number | null;
  content: Buffer;
  created_at: number;
  /** Set by DELETE of the manifest: no longer served; kept while tag history refers to it. */
  deleted_at: number | null;
}

export interface ManifestBlobTable {
  manifest_id: number;
  blob_id: number;
}

export interface ManifestChildTable {
  manifest_id: number;
  child_manifest_id: number;
}

export interface TagTable {
  id: Generated<number>;
  repository_id: number;
  name: string;
  manifest_id: number;
  lifetime_start_ms: number;
  /** NULL while the tag is live; set when it is moved, deleted or expires (time machine history). */
  lifetime_end_ms: number | null;
  hidden: number;
}

export interface UploadTable {
  uuid: string;
  repository_id: number;
  byte_count: number;
  chunk_count: number;
  location: string;
  storage_metadata: string | null;
  /**
   * sha256 of the first hashed_bytes bytes, recorded by the process that streamed them, so that a
   * commit landing on another replica or cluster worker need not re-read the upload.
   */
  hashed_bytes: number | null;
  hashed_digest: string | null;
  created_at: number;
  updated_at: number;
}

export interface ServiceKeyTable {
  kid: string;
  service: string;
  jwk: string;
  created_at: number;
  expires_at: number | null;
}

export interface Database {
  namespace: NamespaceTable;
  repository: RepositoryTable;
  blob: BlobTable;
  blob_placement: BlobPlacementTable;
  repository_blob: RepositoryBlobTable;
  manifest: ManifestTable;
  manifest_blob: ManifestBlobTable;
  manifest_child: ManifestChildTable;
  tag: TagTable;
  upload: UploadTable;
  service_key: ServiceKeyTable;
  oauth_application: OAuthApplicationTable;
  oauth_access_token: OAuthAccessTokenTable;
}

export interface OAuthApplicationTable {
  id: Generated<number>;
  uuid: string;
  /** The user or organization that owns the application. */
  namespace_id: number;
  client_id: string;
  name: string;
  description: Generated<string>;
  application_uri: Generated<string>;
  redirect_uri: Generated<string>;
  created_at: number;
}

export interface OAuthAccessTokenTable {
  id: Generated<number>;
  uuid: string;
  application_id: number;
  /** The user who authorized the token; requests made with it act as this user. */
  namespace_id: number;
  /** Space-separated OAuth scopes, e.g. "repo:read user:admin". */
  scope: string;
  /** The token's first 40 characters, stored in the clear as the lookup key. */
  token_name: string;
  /** SHA-256 (hex) of the rest of the token; the secret itself is never stored. */
  token_secret_hash: string;
  expires_at: number | null;
  created_at: number;
}
