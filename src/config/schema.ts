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
};

export const ConfigSchema = T.Object(
  {
    SERVER_HOSTNAME: T.Optional(T.String({ minLength: 1 })),
    PREFERRED_URL_SCHEME: T.Union([T.Literal('http'), T.Literal('https')], { default: 'http' }),
    REGISTRY_TITLE: T.String({ default: 'Quayside' }),
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
    TOKEN_VALIDITY_LIFETIME_S: T.Integer({ minimum: 60, default: 3600 }),

    CREATE_PRIVATE_REPO_ON_PUSH: T.Boolean({ default: true }),
    CREATE_NAMESPACE_ON_PUSH: T.Boolean({ default: false }),
    CREATE_ORGANIZATION_ON_PUSH: T.Optional(T.Boolean()),
    PUSH_TEMP_TAG_EXPIRATION_SEC: T.Integer({ minimum: 0, default: 3600 }),
    LIBRARY_NAMESPACE: T.String({ default: 'library' }),

    ALLOWED_OCI_ARTIFACT_TYPES: T.Optional(T.Record(T.String(), T.Array(T.String()))),
    IGNORE_UNKNOWN_MEDIATYPES: T.Boolean({ default: false }),

    REGISTRY_STATE: T.Union([T.Literal('normal'), T.Literal('readonly')], { default: 'normal' }),
    DISABLE_PUSHES: T.Boolean({ default: false }),

    DEFAULT_TAG_EXPIRATION: T.String({ default: '2w', pattern: '^[0-9]+[smhdw]$' }),
    TAG_EXPIRATION_OPTIONS: T.Array(T.String({ pattern: '^[0-9]+[smhdw]$' }), {
      default: ['0s', '1d', '1w', '2w', '4w'],
    }),

    ...FeatureFlags,
  },
  { additionalProperties: true },
);

export type RawConfig = Static<typeof ConfigSchema>;
export type StorageLocationConfig = Static<typeof StorageLocationSchema>;
