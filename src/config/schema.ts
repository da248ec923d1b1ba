import { type Static, Type as T } from '@sinclair/typebox';

/**
 * config.yaml, with Quay's key names. Unknown keys are accepted (Quay has hundreds and operators
 * carry whole bundles across), but every key listed here is type-checked.
 */

const StorageDriverName = T.Union([
  T.Literal('LocalStorage'),
  T.Literal('S3Storage'),
  T.Literal('RadosGWStorage'),
  T.Literal('RHOCSStorage'),
]);

export const StorageLocationSchema = T.Tuple([StorageDriverName, T.Record(T.String(), T.Unknown())]);

const FeatureFlags = {
  FEATURE_USER_INITIALIZE: T.Boolean({ default: false }),
  FEATURE_USER_CREATION: T.Boolean({ default: true }),
  FEATURE_ANONYMOUS_ACCESS: T.Boolean({ default: true }),
  FEATURE_PUBLIC_CATALOG: T.Boolean({ default: false }),
  FEATURE_GENERAL_OCI_SUPPORT: T.Boolean({ default: true }),
  FEATURE_HELM_OCI_SUPPORT: T.Boolean({ default: true }),
  FEATURE_REFERRERS_API: T.Boolean({ default: true }),
  FEATURE_PROXY_STORAGE: T.Boolean({ default: false }),
  FEATURE_STORAGE_REPLICATION: T.Boolean({ default: false }),
  FEATURE_SUPERUSERS_FULL_ACCESS: T.Boolean({ default: false }),
  FEATURE_EXTENDED_REPOSITORY_NAMES: T.Boolean({ default: true }),
  FEATURE_LIBRARY_SUPPORT: T.Boolean({ default: true }),
  FEATURE_APP_SPECIFIC_TOKENS: T.Boolean({ default: true }),
  FEATURE_INVITE_ONLY_USER_CREATION: T.Boolean({ default: false }),
  FEATURE_TEAM_SYNCING: T.Boolean({ default: false }),
  FEATURE_NONSUPERUSER_TEAM_SYNCING_SETUP: T.Boolean({ default: false }),
  FEATURE_MAILING: T.Boolean({ default: false }),
  /** Usage-log exports (POST .../exportlogs) and the exportactionlogs worker. */
  FEATURE_LOG_EXPORT: T.Boolean({ default: true }),
  /** The .../aggregatelogs endpoints. */
  FEATURE_AGGREGATED_LOG_COUNT_RETRIEVAL: T.Boolean({ default: true }),
  FEATURE_SUPER_USERS: T.Boolean({ default: true }),
  /** Repository mirroring: the mirror API, the Mirroring tab and the repomirror worker. */
  FEATURE_REPO_MIRROR: T.Boolean({ default: false }),
  /** Seconds between the repomirror worker's checks for due mirrors. */
  REPO_MIRROR_INTERVAL: T.Integer({ minimum: 1, default: 30 }),
  /**
   * When set, the worker pushes mirrored content through this registry host's /v2/ as the mirror
   * robot (as Quay does) instead of writing into storage and the database directly.
   */
  REPO_MIRROR_SERVER_HOSTNAME: T.Optional(T.String({ minLength: 1 })),
  /** Verify TLS when pushing through REPO_MIRROR_SERVER_HOSTNAME. */
  REPO_MIRROR_TLS_VERIFY: T.Boolean({ default: true }),
  /**
   * When a sync fails for some tags: false (Quay's default) moves the tags that copied and keeps the
   * failed ones at their previous manifest; true applies nothing of that sync.
   */
  REPO_MIRROR_ROLLBACK: T.Boolean({ default: false }),
  /** Users and organizations may change their time-machine window (tag_expiration_s); when off it is ignored, as in Quay. */
  FEATURE_CHANGE_TAG_EXPIRATION: T.Boolean({ default: true }),
  /** The gc worker: tags past the time machine, then unreferenced manifests and blobs. */
  FEATURE_GARBAGE_COLLECTION: T.Boolean({ default: true }),
  /** The namespacegc worker: purges deleted users and organizations. */
  FEATURE_NAMESPACE_GARBAGE_COLLECTION: T.Boolean({ default: true }),
  /** The repositorygc worker: purges deleted repositories. */
  FEATURE_REPOSITORY_GARBAGE_COLLECTION: T.Boolean({ default: true }),
  /** Storage quotas per organization and user (off by default, as in Quay). */
  FEATURE_QUOTA_MANAGEMENT: T.Boolean({ default: false }),
  /** Superusers may create and change quotas through the API. */
  FEATURE_EDIT_QUOTA: T.Boolean({ default: true }),
  /** Pushes are checked against the namespace's reject limit. */
  FEATURE_VERIFY_QUOTA: T.Boolean({ default: true }),
  /** quota_warning / quota_error notifications when a namespace crosses a limit. */
  FEATURE_QUOTA_NOTIFICATIONS: T.Boolean({ default: false }),
};

/** Workers: garbage collection, quotas and housekeeping (Quay's keys and defaults). */
const WorkerKeys = {
  /** Seconds between runs of the gc worker. */
  GARBAGE_COLLECTION_FREQUENCY: T.Integer({ minimum: 1, default: 30 }),
  /** Seconds a deleted namespace waits before the namespacegc worker purges it. */
  NAMESPACE_GC_GRACE_PERIOD_SECONDS: T.Integer({ minimum: 0, default: 0 }),
  /** Upload sessions untouched this long are removed with their stored parts (Quay: 2 days). */
  BLOBUPLOAD_DELETION_DATE_THRESHOLD: T.Integer({ minimum: 60, default: 172_800 }),
  /** Reject limit for namespaces without a quota of their own; 0 means none. */
  DEFAULT_SYSTEM_REJECT_QUOTA_BYTES: T.Integer({ minimum: 0, default: 0 }),
  /** Compute sizes of namespaces that have none recorded yet. */
  QUOTA_BACKFILL: T.Boolean({ default: true }),
  /** Seconds after a worker starts before it backfills sizes never computed (Quay's default). */
  QUOTA_TOTAL_DELAY_SECONDS: T.Integer({ minimum: 0, default: 1800 }),
  /** /health/instance fails below this percentage of free disk in the data directory. */
  DISKSPACE_HEALTH_THRESHOLD: T.Number({ minimum: 0, maximum: 100, default: 1 }),
  /** /health/warning reports below this percentage of free disk. */
  DISKSPACE_HEALTH_WARNING_THRESHOLD: T.Number({ minimum: 0, maximum: 100, default: 10 }),
};

/** Outgoing e-mail (Quay's MAIL_* keys), used when FEATURE_MAILING is on. */
const MailKeys = {
  MAIL_SERVER: T.Optional(T.String({ minLength: 1 })),
  MAIL_PORT: T.Integer({ minimum: 1, maximum: 65535, default: 587 }),
  MAIL_USE_TLS: T.Boolean({ default: true }),
  MAIL_USE_AUTH: T.Boolean({ default: false }),
  MAIL_USERNAME: T.Optional(T.String()),
  MAIL_PASSWORD: T.Optional(T.String()),
  MAIL_DEFAULT_SENDER: T.String({ default: 'support@quayside.local' }),
};

/** A DN written as one string or, as Quay's config tool writes it, as a list of RDN components. */
const DistinguishedName = T.Union([T.String(), T.Array(T.String())]);

/** AUTHENTICATION_TYPE: LDAP (Quay's LDAP_* keys). */
const LdapKeys = {
  LDAP_URI: T.Optional(T.String({ pattern: '^ldaps?://' })),
  LDAP_BASE_DN: T.Optional(DistinguishedName),
  LDAP_USER_RDN: T.Optional(DistinguishedName),
  LDAP_SECONDARY_USER_RDNS: T.Array(DistinguishedName, { default: [] }),
  LDAP_USER_FILTER: T.Optional(T.String()),
  LDAP_ADMIN_DN: T.Optional(T.String()),
  LDAP_ADMIN_PASSWD: T.Optional(T.String()),
  LDAP_UID_ATTR: T.String({ default: 'uid' }),
  LDAP_EMAIL_ATTR: T.String({ default: 'mail' }),
  LDAP_MEMBEROF_ATTR: T.String({ default: 'memberOf' }),
  LDAP_SUPERUSER_FILTER: T.Optional(T.String()),
  LDAP_GLOBAL_READONLY_SUPERUSER_FILTER: T.Optional(T.String()),
  LDAP_RESTRICTED_USER_FILTER: T.Optional(T.String()),
  LDAP_ALLOW_INSECURE_FALLBACK: T.Boolean({ default: false }),
  LDAP_TIMEOUT: T.Integer({ minimum: 1, default: 10 }),
  LDAP_NETWORK_TIMEOUT: T.Integer({ minimum: 1, default: 10 }),
  TEAM_RESYNC_STALE_TIME: T.String({ default: '30m', pattern: '^[0-9]+[smhdw]$' }),
};

export const ConfigSchema = T.Object(
  {
    SERVER_HOSTNAME: T.Optional(T.String({ minLength: 1 })),
    PREFERRED_URL_SCHEME: T.Union([T.Literal('http'), T.Literal('https')], { default: 'http' }),
    REGISTRY_TITLE: T.String({ default: 'Quayside' }),
    /** The short title, shown where the long one does not fit (the UI's masthead on narrow screens); REGISTRY_TITLE when unset. */
    REGISTRY_TITLE_SHORT: T.Optional(T.String({ minLength: 1 })),
    /** The web UI's logo, footer image and the address the footer image links to. */
    BRANDING: T.Optional(
      T.Object({
        logo: T.Optional(T.String({ minLength: 1 })),
        footer_img: T.Optional(T.String({ minLength: 1 })),
        footer_url: T.Optional(T.String({ pattern: '^https?://' })),
      }),
    ),
    SECRET_KEY: T.Optional(T.String({ minLength: 1 })),
    DATABASE_SECRET_KEY: T.Optional(T.String({ minLength: 1 })),

    DB_URI: T.Optional(T.String({ pattern: '^(postgresql|postgres|sqlite)://' })),
    DB_CONNECTION_ARGS: T.Record(T.String(), T.Unknown(), { default: {} }),

    DISTRIBUTED_STORAGE_CONFIG: T.Optional(T.Record(T.String({ minLength: 1 }), StorageLocationSchema)),
    DISTRIBUTED_STORAGE_PREFERENCE: T.Optional(T.Array(T.String(), { minItems: 1 })),
    DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: T.Optional(T.Array(T.String())),
    MAXIMUM_LAYER_SIZE: T.String({ default: '20G', pattern: '^[0-9]+[KMGT]?$' }),

    AUTHENTICATION_TYPE: T.Union([T.Literal('Database'), T.Literal('LDAP')], { default: 'Database' }),
    SUPER_USERS: T.Array(T.String(), { default: [] }),
    GLOBAL_READONLY_SUPER_USERS: T.Array(T.String(), { default: [] }),
    TOKEN_VALIDITY_LIFETIME_S: T.Integer({ minimum: 60, default: 3600 }),
    APP_SPECIFIC_TOKEN_EXPIRATION: T.Union([T.String({ pattern: '^[0-9]+[smhdw]$' }), T.Null()], { default: null }),
    /** How long a UI session lasts without activity (Quay: PERMANENT_SESSION_LIFETIME, seconds). */
    PERMANENT_SESSION_LIFETIME: T.Integer({ minimum: 60, default: 2_592_000 }),
    /** Fresh-login window for sensitive account changes. */
    FRESH_LOGIN_TIMEOUT: T.String({ default: '10m', pattern: '^[0-9]+[smhdw]$' }),

    ...LdapKeys,
    ...MailKeys,

    CREATE_PRIVATE_REPO_ON_PUSH: T.Boolean({ default: true }),
    CREATE_NAMESPACE_ON_PUSH: T.Boolean({ default: false }),
    CREATE_ORGANIZATION_ON_PUSH: T.Optional(T.Boolean()),
    PUSH_TEMP_TAG_EXPIRATION_SEC: T.Integer({ minimum: 0, default: 3600 }),
    LIBRARY_NAMESPACE: T.String({ default: 'library' }),

    ALLOWED_OCI_ARTIFACT_TYPES: T.Optional(T.Record(T.String(), T.Array(T.String()))),
    IGNORE_UNKNOWN_MEDIATYPES: T.Boolean({ default: false }),

    /** Usage-log entries for successful and failed sign-ins (Quay's ACTION_LOG_AUDIT_*). */
    ACTION_LOG_AUDIT_LOGINS: T.Boolean({ default: true }),
    ACTION_LOG_AUDIT_LOGIN_FAILURES: T.Boolean({ default: false }),

    REGISTRY_STATE: T.Union([T.Literal('normal'), T.Literal('readonly')], { default: 'normal' }),
    DISABLE_PUSHES: T.Boolean({ default: false }),

    DEFAULT_TAG_EXPIRATION: T.String({ default: '2w', pattern: '^[0-9]+[smhdw]$' }),
    TAG_EXPIRATION_OPTIONS: T.Array(T.String({ pattern: '^[0-9]+[smhdw]$' }), {
      default: ['0s', '1d', '1w', '2w', '4w'],
    }),
    /** Bounds of a tag's lifetime when its expiry is set through the API (Quay clamps into them). */
    LABELED_EXPIRATION_MINIMUM: T.String({ default: '1h', pattern: '^[0-9]+[smhdw]$' }),
    LABELED_EXPIRATION_MAXIMUM: T.String({ default: '104w', pattern: '^[0-9]+[smhdw]$' }),
    /** Label key prefixes the API refuses (Quay's list; an operator may replace it). */
    DEFAULT_LABEL_KEY_RESERVED_PREFIXES: T.Array(T.String(), {
      default: [
        'com.docker.',
        'io.docker.',
        'org.dockerproject.',
        'org.opencontainers.',
        'io.cncf.',
        'io.kubernetes.',
        'io.k8s.',
        'io.quay',
        'com.coreos',
        'com.tectonic',
        'internal',
        'quay',
      ],
    }),
    /** More reserved label key prefixes, each ending in a dot. */
    LABEL_KEY_RESERVED_PREFIXES: T.Array(T.String({ pattern: '\\.$' }), { default: [] }),
    /** Enables POST .../tag/{tag}/expire, which takes tags out of the time machine at once. */
    PERMANENTLY_DELETE_TAGS: T.Boolean({ default: false }),

    /** Seconds a webhook or Slack delivery of a repository notification may take (Quay's key). */
    NOTIFICATION_SEND_TIMEOUT: T.Integer({ minimum: 1, default: 10 }),
    /**
     * Host names webhook notifications may not be sent to (Quay's key). Quay always adds localhost
     * and 127.0.0.1; here they are the default, so an operator can deliberately allow a local receiver.
     */
    WEBHOOK_HOSTNAME_BLACKLIST: T.Array(T.String(), { default: ['localhost', '127.0.0.1'] }),
    /**
     * Host names, IPs or CIDR ranges (Quay's key) that webhooks, Slack and log-export callbacks may
     * reach although they are, or resolve to, loopback, link-local, private or other non-public
     * addresses, which are refused otherwise. WEBHOOK_HOSTNAME_BLACKLIST still applies to them.
     */
    SSRF_ALLOWED_HOSTS: T.Array(T.String({ minLength: 1 }), { default: [] }),

    ...WorkerKeys,
    ...FeatureFlags,
  },
  { additionalProperties: true },
);

export type RawConfig = Static<typeof ConfigSchema>;
export type StorageLocationConfig = Static<typeof StorageLocationSchema>;
