import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { ConfigSchema, type RawConfig, type StorageLocationConfig } from './schema.js';

export interface ConfigProblem {
  key: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.key}: ${p.message}`).join('\n'));
    this.name = 'ConfigError';
  }
}

export type DatabaseConfig =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; uri: string; connectionArgs: Record<string, unknown> };

export interface StorageConfig {
  locations: Record<string, StorageLocationConfig>;
  /** Ordered: the first location receives new uploads; reads try them in order. */
  preference: string[];
  defaultLocations: string[];
}

export interface QuaysideConfig extends RawConfig {
  dataDir: string;
  configDir: string | undefined;
  database: DatabaseConfig;
  storage: StorageConfig;
  maxLayerBytes: number;
  createNamespaceOnPush: boolean;
  /** True when config.yaml named neither DB_URI nor DISTRIBUTED_STORAGE_CONFIG. */
  embedded: boolean;
}

export interface LoadOptions {
  configDir?: string | undefined;
  dataDir?: string | undefined;
  /** Extra keys merged last, used by tests and by QUAY_OVERRIDE_CONFIG. */
  overrides?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
}

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

export function parseByteSize(text: string): number {
  const match = /^([0-9]+)([KMGT]?)$/.exec(text);
  if (!match) throw new Error(`not a size: ${text}`);
  return Number(match[1]) * (SIZE_UNITS[match[2] ?? ''] ?? 1);
}

function readConfigFile(configDir: string | undefined): Record<string, unknown> {
  if (!configDir) return {};
  if (!existsSync(configDir)) throw new ConfigError([{ key: '--config-dir', message: `${configDir} does not exist` }]);
  const file = path.join(configDir, 'config.yaml');
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([{ key: 'config.yaml', message: `is not valid YAML: ${(err as Error).message}` }]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([{ key: 'config.yaml', message: 'must be a mapping of configuration keys' }]);
  }
  return parsed as Record<string, unknown>;
}

function readEnvOverrides(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const text = env['QUAY_OVERRIDE_CONFIG'];
  if (!text) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ConfigError([{ key: 'QUAY_OVERRIDE_CONFIG', message: 'must be a JSON object' }]);
}

function schemaProblems(candidate: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const error of Value.Errors(ConfigSchema, candidate)) {
    const key = error.path.replace(/^\//, '').split('/')[0] || '(root)';
    const where = error.path.replace(/^\//, '').replaceAll('/', '.');
    if (seen.has(where)) continue;
    seen.add(where);
    problems.push({ key, message: `${where || key}: ${error.message}` });
  }
  return problems;
}

function resolveDatabase(raw: RawConfig, dataDir: string): DatabaseConfig {
  const uri = raw.DB_URI;
  if (!uri) return { kind: 'sqlite', path: path.join(dataDir, 'quayside.db') };
  if (uri.startsWith('sqlite://')) {
    const file = uri.slice('sqlite://'.length);
    return { kind: 'sqlite', path: path.resolve(dataDir, file) };
  }
  return { kind: 'postgres', uri, connectionArgs: raw.DB_CONNECTION_ARGS };
}

function resolveStorage(raw: RawConfig, dataDir: string, problems: ConfigProblem[]): StorageConfig {
  const locations = raw.DISTRIBUTED_STORAGE_CONFIG ?? {
    local_us: ['LocalStorage', { storage_path: path.join(dataDir, 'storage') }] as StorageLocationConfig,
  };
  const names = Object.keys(locations);
  if (names.length === 0) {
    problems.push({ key: 'DISTRIBUTED_STORAGE_CONFIG', message: 'must define at least one storage location' });
  }
  const preference = raw.DISTRIBUTED_STORAGE_PREFERENCE ?? names.slice(0, 1);
  for (const name of preference) {
    if (!locations[name]) {
      problems.push({
        key: 'DISTRIBUTED_STORAGE_PREFERENCE',
        message: `names location "${name}", which DISTRIBUTED_STORAGE_CONFIG does not define`,
      });
    }
  }
  const defaultLocations = raw.DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS ?? preference.slice(0, 1);
  for (const name of raw.DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS ?? []) {
    if (!locations[name]) {
      problems.push({
        key: 'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS',
        message: `names location "${name}", which DISTRIBUTED_STORAGE_CONFIG does not define`,
      });
    }
  }
  for (const [name, [driver, params]] of Object.entries(locations)) {
    if (driver === 'LocalStorage' && typeof params['storage_path'] === 'string') {
      params['storage_path'] = path.resolve(dataDir, params['storage_path']);
    }
    if (driver === 'LocalStorage' && typeof params['storage_path'] !== 'string') {
      problems.push({ key: 'DISTRIBUTED_STORAGE_CONFIG', message: `${name}: LocalStorage needs storage_path` });
    }
  }
  if (raw.FEATURE_STORAGE_REPLICATION && Object.values(locations).some(([driver]) => driver === 'LocalStorage')) {
    problems.push({
      key: 'FEATURE_STORAGE_REPLICATION',
      message: 'cannot be enabled while a location uses LocalStorage',
    });
  }
  return { locations, preference, defaultLocations };
}

const LDAP_REQUIRED_KEYS = ['LDAP_URI', 'LDAP_BASE_DN', 'LDAP_ADMIN_DN', 'LDAP_ADMIN_PASSWD'] as const;

/** AUTHENTICATION_TYPE: LDAP cannot work without a server, a base DN and the search account. */
function ldapProblems(raw: RawConfig): ConfigProblem[] {
  if (raw.AUTHENTICATION_TYPE !== 'LDAP') return [];
  const blank = (value: string | string[] | undefined) =>
    value === undefined || (Array.isArray(value) ? value.join('') : value).trim() === '';
  return LDAP_REQUIRED_KEYS.filter((key) => blank(raw[key])).map((key) => ({
    key,
    message: 'is required when AUTHENTICATION_TYPE is LDAP',
  }));
}

/** Reads config.yaml (if any), applies defaults and validates. Throws ConfigError naming each bad key. */
export function loadConfig(options: LoadOptions = {}): QuaysideConfig {
  const env = options.env ?? process.env;
  const dataDir = path.resolve(options.dataDir ?? env['QUAYSIDE_DATA_DIR'] ?? 'quayside-data');
  const configDir = options.configDir ? path.resolve(options.configDir) : undefined;
  const fromFile = readConfigFile(configDir);
  const merged: Record<string, unknown> = { ...fromFile, ...readEnvOverrides(env), ...(options.overrides ?? {}) };

  const withDefaults = Value.Default(ConfigSchema, structuredClone(merged)) as Record<string, unknown>;
  const problems = schemaProblems(withDefaults);
  if (problems.length > 0) throw new ConfigError(problems);
  const raw = withDefaults as RawConfig;

  const semantic: ConfigProblem[] = [];
  const storage = resolveStorage(raw, dataDir, semantic);
  semantic.push(...ldapProblems(raw));
  for (const option of [raw.DEFAULT_TAG_EXPIRATION]) {
    if (!raw.TAG_EXPIRATION_OPTIONS.includes(option)) {
      semantic.push({ key: 'DEFAULT_TAG_EXPIRATION', message: `"${option}" is not one of TAG_EXPIRATION_OPTIONS` });
    }
  }
  if (semantic.length > 0) throw new ConfigError(semantic);

  return {
    ...raw,
    dataDir,
    configDir,
    database: resolveDatabase(raw, dataDir),
    storage,
    maxLayerBytes: parseByteSize(raw.MAXIMUM_LAYER_SIZE),
    createNamespaceOnPush: raw.CREATE_NAMESPACE_ON_PUSH || raw.CREATE_ORGANIZATION_ON_PUSH === true,
    embedded: !raw.DB_URI && !raw.DISTRIBUTED_STORAGE_CONFIG,
  };
}
