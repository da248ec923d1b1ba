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
  /** Set when the account was deleted: the row is renamed and disabled until the namespace GC removes it. */
  deleted_at: Generated<number | null>;
  last_accessed: Generated<number | null>;
  /** Consecutive wrong passwords; reset by a successful sign-in. */
  invalid_login_attempts: Generated<number>;
  last_invalid_login: Generated<number | null>;
}

/** Repository roles, weakest first. */
export type RepositoryRole = 'read' | 'write' | 'admin';
/** Team roles in an organization: member (only its repository permissions), creator (may create repositories), admin (administers the organization). */
export type TeamRole = 'member' | 'creator' | 'admin';

export interface RobotTable {
  /** The robot's own namespace row (kind 'robot', name `owner+short`). */
  namespace_id: number;
  owner_id: number;
  description: Generated<string>;
  unstructured_metadata: Generated<string>;
  /** The robot's token, encrypted with DATABASE_SECRET_KEY (Quay shows it again on request). */
  token_encrypted: string;
}

export interface TeamTable {
  id: Generated<number>;
  organization_id: number;
  name: string;
  role: TeamRole;
  description: Generated<string>;
  created_at: number;
}

export interface TeamMemberTable {
  team_id: number;
  /** A user or robot namespace id. */
  member_id: number;
}

export interface TeamInviteTable {
  id: Generated<number>;
  team_id: number;
  user_id: number | null;
  email: string | null;
  inviter_id: number;
  token: string;
  created_at: number;
}

export interface TeamSyncTable {
  team_id: number;
  service: string;
  /** JSON, e.g. {"group_dn": "cn=devs,ou=groups"}. */
  config: string;
  transaction_id: string | null;
  last_updated: number | null;
}

export interface RepositoryPermissionTable {
  id: Generated<number>;
  repository_id: number;
  /** A user or robot; exactly one of member_id and team_id is set. */
  member_id: number | null;
  team_id: number | null;
  role: RepositoryRole;
}

export interface DefaultPermissionTable {
  id: Generated<number>;
  uuid: string;
  organization_id: number;
  /** NULL: applies to repositories created by anyone. */
  activating_user_id: number | null;
  delegate_member_id: number | null;
  delegate_team_id: number | null;
  role: RepositoryRole;
  created_at: number;
}

export interface AppTokenTable {
  id: Generated<number>;
  uuid: string;
  user_id: number;
  title: string;
  /** The token's first characters, stored in the clear as the lookup key. */
  token_name: string;
  token_secret_encrypted: string;
  created_at: number;
  expires_at: number | null;
  last_accessed: number | null;
}

export interface UserSessionTable {
  id: Generated<number>;
  token_name: string;
  token_secret_hash: string;
  user_id: number;
  csrf_token: string;
  created_at: number;
  /** When the password was last checked: operations needing a fresh login compare against it. */
  login_at: number;
  expires_at: number;
}

export interface FederatedLoginTable {
  user_id: number;
  /** 'ldap' */
  service: string;
  /** The external identity, e.g. the LDAP uid. */
  service_ident: string;
  metadata: Generated<string>;
}

export interface QueueItemTable {
  id: Generated<number>;
  queue_name: string;
  body: string;
  available_after: number;
  processing_expires: number | null;
  retries_remaining: number;
  created_at: number;
}

/** Quay's RepoMirrorStatus. */
export type RepoMirrorStatus = 'NEVER_RUN' | 'SYNC_NOW' | 'SYNCING' | 'SUCCESS' | 'FAIL' | 'CANCEL';

export interface RepoMirrorConfigTable {
  repository_id: number;
  /** The robot whose pushes a MIRROR repository accepts. */
  internal_robot_id: number | null;
  created_at: number;
  is_enabled: Generated<number>;
  /** host[:port]/path of the repository mirrored, without tag. */
  external_reference: Generated<string>;
  /** Sealed with DATABASE_SECRET_KEY. */
  external_registry_username: string | null;
  /** Sealed with DATABASE_SECRET_KEY. */
  external_registry_password: string | null;
  /** JSON: { verify_tls, unsigned_images, proxy: { http_proxy, https_proxy, no_proxy } }. */
  external_registry_config: Generated<string>;
  /** JSON list of tag globs (Quay's root rule of kind tag_glob_csv). */
  root_rule: Generated<string>;
  /** Seconds between syncs. */
  sync_interval: Generated<number>;
  sync_start_date: number | null;
  /** While SYNCING: when the claim runs out and another worker may take the sync over. */
  sync_expiration_date: number | null;
  sync_retries_remaining: Generated<number>;
  sync_status: Generated<RepoMirrorStatus>;
  sync_transaction_id: Generated<string>;
  skopeo_timeout_interval: Generated<number>;
  last_sync_started_at: number | null;
  last_sync_finished_at: number | null;
  /** What the last sync did or why it failed, for the API and the Mirroring tab. */
  last_sync_message: string | null;
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
  /**
   * The hold of an upload or mount that found the link already permanent: when GC drops the
   * permanent link because no manifest of the repository uses the blob any more, the link lives on
   * until then.
   */
  hold_until: Generated<number | null>;
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
  /** The last PUT of this manifest: GC keeps it PUSH_TEMP_TAG_EXPIRATION_SEC after that, tagged or not. */
  pushed_at: Generated<number>;
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
  /**
   * When a live tag expires (set by the API, the quay.expires-after label or DEFAULT_TAG_EXPIRATION).
   * A row with lifetime_end_ms NULL and expires_at_ms in the past is dead since expires_at_ms:
   * readers use tagAlive() from model/tags.ts rather than testing lifetime_end_ms alone.
   */
  expires_at_ms: Generated<number | null>;
  /** 1 when the time machine created this row by restoring an earlier manifest. */
  reversion: Generated<number>;
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
  name: Generated<string | null>;
  /** JSON object. */
  metadata: Generated<string>;
  rotation_duration_s: Generated<number | null>;
  /** Quay's ServiceKeyApprovalType name; NULL while the key waits for a superuser's approval. */
  approval_type: Generated<string | null>;
  approver_id: Generated<number | null>;
  approved_at: Generated<number | null>;
  approval_notes: Generated<string | null>;
}

/** Where a manifest label came from: the image config, the API (mutable), or Quayside itself. */
export type LabelSourceType = 'manifest' | 'api' | 'internal';

export interface ManifestLabelTable {
  id: Generated<number>;
  uuid: string;
  manifest_id: number;
  key: string;
  value: string;
  media_type: string;
  source_type: LabelSourceType;
  created_at: number;
}

export interface StarTable {
  user_id: number;
  repository_id: number;
  created_at: number;
}

/** One usage-log entry (Quay's LogEntry3). Ids are not foreign keys: entries outlive what they name. */
export interface LogEntryTable {
  id: Generated<number>;
  /** Quay's log kind name, e.g. push_repo. */
  kind: string;
  /** The namespace the action happened in. */
  account_id: number | null;
  performer_id: number | null;
  repository_id: number | null;
  datetime_ms: number;
  ip: string | null;
  /** JSON object. */
  metadata: string;
}

/** A finished usage-log export: the stored document behind /exportedlogs/{file_id}. */
export interface LogExportTable {
  id: Generated<number>;
  /** The export_id the API returned when the export was requested. */
  export_id: string;
  /** `<export_id>-<random key>`: the download URL's capability. */
  file_id: string;
  /** The storage location holding the document. */
  location: string;
  digest: string;
  size: number;
  created_at: number;
  /** The download link stops working at this time. */
  expires_at: number;
}

export interface RepositoryNotificationTable {
  id: Generated<number>;
  uuid: string;
  repository_id: number;
  event: string;
  method: string;
  title: string | null;
  /** JSON: the method's settings (url, email, ...). */
  config: string;
  /** JSON: the event's filter (e.g. vulnerability level). */
  event_config: string;
  number_of_failures: Generated<number>;
  last_ran_ms: number | null;
  created_at: number;
}

/** In-app notification (Quay's Notification), listed by /api/v1/user/notifications. */
export interface NotificationTable {
  id: Generated<number>;
  uuid: string;
  kind: string;
  /** The user or organization notified. */
  target_id: number;
  /** JSON object. */
  metadata: string;
  lookup_path: string | null;
  dismissed: Generated<number>;
  created_at: number;
}

export type MessageSeverity = 'info' | 'warning' | 'error';

/** A globally visible message (Quay's Messages). */
export interface MessageTable {
  id: Generated<number>;
  uuid: string;
  content: string;
  severity: MessageSeverity;
  media_type: string;
  created_at: number;
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
  robot: RobotTable;
  team: TeamTable;
  team_member: TeamMemberTable;
  team_invite: TeamInviteTable;
  team_sync: TeamSyncTable;
  repository_permission: RepositoryPermissionTable;
  default_permission: DefaultPermissionTable;
  app_token: AppTokenTable;
  user_session: UserSessionTable;
  federated_login: FederatedLoginTable;
  queue_item: QueueItemTable;
  repo_mirror_config: RepoMirrorConfigTable;
  manifest_label: ManifestLabelTable;
  star: StarTable;
  log_entry: LogEntryTable;
  log_export: LogExportTable;
  repository_notification: RepositoryNotificationTable;
  notification: NotificationTable;
  message: MessageTable;
  quota: QuotaTable;
  quota_limit: QuotaLimitTable;
  quota_namespace_size: QuotaNamespaceSizeTable;
  quota_repository_size: QuotaRepositorySizeTable;
  quota_notification_state: QuotaNotificationStateTable;
}

/** A namespace's storage quota (Quay's UserOrganizationQuota); at most one per namespace. */
export interface QuotaTable {
  id: Generated<number>;
  namespace_id: number;
  limit_bytes: number;
  created_at: number;
}

/** Quay's QuotaType names. */
export type QuotaType = 'Warning' | 'Reject';

/** A threshold of a quota, in percent of its limit_bytes (Quay's QuotaLimits). */
export interface QuotaLimitTable {
  id: Generated<number>;
  quota_id: number;
  quota_type: QuotaType;
  percent_of_limit: number;
}

/** The bytes of the distinct blobs the namespace's manifests reference, as last computed. */
export interface QuotaNamespaceSizeTable {
  namespace_id: number;
  size_bytes: number;
  computed_at: number;
}

/** The bytes of the distinct blobs the repository's manifests reference, as last computed. */
export interface QuotaRepositorySizeTable {
  repository_id: number;
  size_bytes: number;
  computed_at: number;
}

/** A quota limit the namespace was notified about reaching; removed once the namespace is back under it. */
export interface QuotaNotificationStateTable {
  namespace_id: number;
  quota_type: QuotaType;
  threshold_percent: number;
  /** The largest counted size of the namespace since it was notified (never the blobs of a refused push). */
  counted_bytes: number;
  notified_at: number;
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
  client_secret_encrypted: string | null;
  avatar_email: string | null;
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
