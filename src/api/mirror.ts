import { type Static, Type as T } from '@sinclair/typebox';
import { authorizeRepositoryAdminView } from '../auth/authorize.js';
import type { AppContext } from '../context.js';
import { Invalid, NotFound } from '../errors.js';
import { parseExternalReference } from '../mirror/external-reference.js';
import { validateTagPattern } from '../mirror/tag-patterns.js';
import { nowMs } from '../model/clock.js';
import { findNamespaceById } from '../model/namespaces.js';
import {
  cancelActiveMirrorSync,
  changeMirrorConfig,
  createMirrorConfig,
  DEFAULT_MIRROR_REGISTRY_CONFIG,
  findMirrorConfig,
  type MirrorConfig,
  type MirrorConfigChanges,
  type MirrorProxy,
  type MirrorRegistryConfig,
  requestMirrorSyncNow,
} from '../model/repo-mirror.js';
import type { RepositoryWithNamespace } from '../model/repositories.js';
import { findRobot, type Robot } from '../model/robots.js';
import type { LogKind } from '../model/usage-logs.js';
import { isRefusedLiteralHost, outboundAllowList } from '../net/address-policy.js';
import { apiBaseUrl, apiErrorBody } from './errors.js';
import { formatMirrorDate, mirrorConfigView, parseMirrorDate, proxyForLog } from './mirror-view.js';
import { authorizedRepository, repositoryParam } from './repositories.js';
import type { ApiCall, ApiRouter } from './router.js';
import { logApiAction } from './usage-log.js';

/**
 * Quay's repository mirror resource (endpoints/api/mirror.py): read, create and change a
 * repository's mirror configuration, ask for a sync now or cancel one. Only with
 * FEATURE_REPO_MIRROR (404 otherwise, as Quay hides the resource), only for repository admins.
 */

/** The database stores these as 32-bit integers. */
const MAX_INTEGER = 2_147_483_647;
/** Quay's lower bound for skopeo_timeout_interval. */
const MIN_SKOPEO_TIMEOUT_S = 300;
const MAX_TAG_PATTERNS = 500;

const NullableString = (maxLength: number) => T.Union([T.String({ maxLength }), T.Null()]);

const ProxyBody = T.Object({
  http_proxy: T.Optional(NullableString(2048)),
  https_proxy: T.Optional(NullableString(2048)),
  no_proxy: T.Optional(NullableString(4096)),
});

const RegistryConfigBody = T.Object({
  verify_tls: T.Optional(T.Boolean({ description: 'Whether HTTPS is required and the certificate of the external registry checked.' })),
  unsigned_images: T.Optional(T.Boolean({ description: 'Whether images are copied without verifying their signatures.' })),
  proxy: T.Optional(ProxyBody),
});

const RootRuleBody = T.Object({
  rule_kind: T.String({ maxLength: 64, description: 'Always tag_glob_csv' }),
  rule_value: T.Array(T.String({ maxLength: 255 }), { maxItems: MAX_TAG_PATTERNS, description: 'Tag globs' }),
});

const MIRROR_FIELDS = {
  is_enabled: T.Boolean({ description: 'Whether scheduled syncs run.' }),
  external_reference: T.String({ maxLength: 2048, description: 'host[:port]/repository to mirror from.' }),
  external_registry_username: NullableString(1024),
  external_registry_password: NullableString(4096),
  sync_start_date: T.String({ maxLength: 64, description: 'When the next sync is due, e.g. 2026-11-30T02:12:09Z (UTC).' }),
  sync_interval: T.Integer({ minimum: 1, maximum: MAX_INTEGER, description: 'Seconds between syncs.' }),
  robot_username: T.String({ maxLength: 255, description: 'The robot of the namespace that pushes the mirrored images.' }),
  root_rule: RootRuleBody,
  external_registry_config: RegistryConfigBody,
  skopeo_timeout_interval: T.Integer({ maximum: MAX_INTEGER, description: 'Seconds one image copy may take (at least 300).' }),
  architecture_filter: T.Union([T.Array(T.String({ maxLength: 32 }), { maxItems: 16 }), T.Null()]),
};

const CreateBody = T.Object({
  external_reference: MIRROR_FIELDS.external_reference,
  sync_interval: MIRROR_FIELDS.sync_interval,
  sync_start_date: MIRROR_FIELDS.sync_start_date,
  root_rule: MIRROR_FIELDS.root_rule,
  robot_username: MIRROR_FIELDS.robot_username,
  is_enabled: T.Optional(MIRROR_FIELDS.is_enabled),
  external_registry_username: T.Optional(MIRROR_FIELDS.external_registry_username),
  external_registry_password: T.Optional(MIRROR_FIELDS.external_registry_password),
  external_registry_config: T.Optional(MIRROR_FIELDS.external_registry_config),
  skopeo_timeout_interval: T.Optional(MIRROR_FIELDS.skopeo_timeout_interval),
  architecture_filter: T.Optional(MIRROR_FIELDS.architecture_filter),
});

const UpdateBody = T.Partial(T.Object(MIRROR_FIELDS));

type CreateInput = Static<typeof CreateBody>;
type UpdateInput = Static<typeof UpdateBody>;

// ---- validation ---------------------------------------------------------------------------------

function requireMirrorFeature(ctx: AppContext): void {
  if (!ctx.config.FEATURE_REPO_MIRROR) throw new NotFound('repository', 'repository mirroring is not enabled (FEATURE_REPO_MIRROR)');
}

/** Quay's wording: the message does not say what the address policy saw. */
const REFUSED_LOCATION = 'The provided registry location is not allowed';

/**
 * A well-formed external_reference whose host the SSRF policy does not refuse outright (a
 * non-public IP literal or a localhost name not in SSRF_ALLOWED_HOSTS). Names are resolved only
 * when the mirror connects, where the same policy applies to the addresses they resolve to.
 */
function checkedReference(ctx: AppContext, reference: string): string {
  const { registry } = parseExternalReference(reference);
  if (isRefusedLiteralHost(outboundAllowList(ctx.config), new URL(`https://${registry}`).hostname)) {
    throw new Invalid('input', REFUSED_LOCATION);
  }
  return reference;
}

function checkedStartDate(text: string): number {
  const ms = parseMirrorDate(text);
  if (ms === undefined) throw new Invalid('input', 'sync_start_date must be a UTC date written as YYYY-MM-DDTHH:MM:SSZ');
  return ms;
}

function checkedSkopeoTimeout(seconds: number): number {
  if (seconds < MIN_SKOPEO_TIMEOUT_S) {
    throw new Invalid('input', `skopeo_timeout_interval must be at least ${MIN_SKOPEO_TIMEOUT_S} seconds`);
  }
  return seconds;
}

function refuseArchitectureFilter(filter: string[] | null | undefined): void {
  if (filter && filter.length > 0) {
    throw new Invalid('input', 'architecture_filter is not supported: a mirror copies every architecture, so leave it empty');
  }
}

function checkedTagPatterns(rule: Static<typeof RootRuleBody>): string[] {
  if (rule.rule_kind !== 'tag_glob_csv') throw new Invalid('input', 'root_rule.rule_kind must be tag_glob_csv');
  if (rule.rule_value.length === 0) throw new Invalid('input', 'root_rule.rule_value must list at least one tag pattern');
  for (const pattern of rule.rule_value) validateTagPattern(pattern);
  return rule.rule_value;
}

/** Quay's rule: the mirror pushes as a robot of the repository's own namespace. */
async function mirrorRobot(ctx: AppContext, repo: RepositoryWithNamespace, name: string): Promise<Robot> {
  const robot = await findRobot(ctx.db, name);
  if (!robot) throw new Invalid('input', `robot_username: there is no robot account ${name}`);
  if (robot.ownerName !== repo.namespace_name) {
    throw new Invalid('input', `robot_username: ${name} does not belong to namespace ${repo.namespace_name}; use one of its robots`);
  }
  return robot;
}

function emptyAsNull(value: string | null | undefined): string | null | undefined {
  return value === '' ? null : value;
}

function mergedRegistryConfig(current: MirrorRegistryConfig, patch: Static<typeof RegistryConfigBody>): MirrorRegistryConfig {
  const proxy: MirrorProxy = { ...current.proxy };
  for (const key of ['http_proxy', 'https_proxy', 'no_proxy'] as const) {
    const value = patch.proxy?.[key];
    if (value !== undefined) proxy[key] = emptyAsNull(value) ?? null;
  }
  return {
    verify_tls: patch.verify_tls ?? current.verify_tls,
    unsigned_images: patch.unsigned_images ?? current.unsigned_images,
    proxy,
  };
}

/** The credential changes a request asks for: a password goes with a username; no username means none at all. */
function credentialChanges(input: { external_registry_username?: string | null; external_registry_password?: string | null }) {
  const username = emptyAsNull(input.external_registry_username);
  const password = emptyAsNull(input.external_registry_password);
  if (username === undefined) {
    if (password !== undefined) throw new Invalid('input', 'external_registry_password needs external_registry_username in the same request');
    return {};
  }
  if (username === null) {
    if (password) throw new Invalid('input', 'a password cannot be kept without a username: send external_registry_password null too');
    return { username: null, password: null };
  }
  return password === undefined ? { username } : { username, password };
}

// ---- usage logs ---------------------------------------------------------------------------------

interface MirrorLogEntry {
  kind: LogKind;
  changed?: string;
  to?: unknown;
}

async function logMirrorActions(call: ApiCall<unknown, unknown>, repo: RepositoryWithNamespace, entries: MirrorLogEntry[]) {
  for (const { kind, changed, to } of entries) {
    const metadata: Record<string, unknown> = { repo: repo.name, namespace: repo.namespace_name };
    if (changed !== undefined) Object.assign(metadata, { changed, to });
    await logApiAction(call, { kind, namespaceId: repo.namespace_id, repositoryId: repo.id, metadata });
  }
}

const configChanged = (changed: string, to: unknown): MirrorLogEntry => ({ kind: 'repo_mirror_config_changed', changed, to });

/** One entry per field that really changes, as Quay names them; secrets masked. */
function updateLogEntries(
  current: MirrorConfig,
  currentUsername: string | null,
  changes: MirrorConfigChanges,
  robotName: string | undefined,
): MirrorLogEntry[] {
  const entries: MirrorLogEntry[] = [];
  if (changes.isEnabled !== undefined && changes.isEnabled !== current.isEnabled) {
    entries.push(configChanged('is_enabled', changes.isEnabled));
  }
  if (changes.externalReference !== undefined && changes.externalReference !== current.externalReference) {
    entries.push(configChanged('external_reference', changes.externalReference));
  }
  if (changes.robotId !== undefined && changes.robotId !== current.robotId) entries.push(configChanged('robot_username', robotName));
  if (changes.syncStartDate !== undefined && changes.syncStartDate !== current.syncStartDate) {
    entries.push(configChanged('sync_start_date', formatMirrorDate(changes.syncStartDate)));
  }
  if (changes.syncIntervalSeconds !== undefined && changes.syncIntervalSeconds !== current.syncIntervalSeconds) {
    entries.push(configChanged('sync_interval', changes.syncIntervalSeconds));
  }
  if (changes.skopeoTimeoutSeconds !== undefined && changes.skopeoTimeoutSeconds !== current.skopeoTimeoutSeconds) {
    entries.push(configChanged('skopeo_timeout_interval', changes.skopeoTimeoutSeconds));
  }
  if (changes.username !== undefined && changes.username !== currentUsername) {
    entries.push(configChanged('external_registry_username', changes.username));
  }
  if (changes.password !== undefined) {
    entries.push(configChanged('external_registry_password', changes.password === null ? null : '********'));
  }
  const config = changes.registryConfig;
  if (config) {
    const was = current.registryConfig;
    if (config.verify_tls !== was.verify_tls) entries.push(configChanged('verify_tls', config.verify_tls));
    if (config.unsigned_images !== was.unsigned_images) entries.push(configChanged('unsigned_images', config.unsigned_images));
    for (const key of ['http_proxy', 'https_proxy', 'no_proxy'] as const) {
      if (config.proxy[key] !== was.proxy[key]) entries.push(configChanged(key, proxyForLog(config.proxy[key])));
    }
  }
  const patterns = changes.tagPatterns;
  if (patterns && JSON.stringify(patterns) !== JSON.stringify(current.tagPatterns)) entries.push(configChanged('mirror_rule', patterns));
  return entries;
}

// ---- handlers -----------------------------------------------------------------------------------

/**
 * The repository and its mirror configuration, for its admins; 404 without one. Reading also
 * lets global read-only superusers in, as Quay's GET does (the same rule as repository logs).
 */
async function mirroredRepository(call: ApiCall<unknown, unknown>, access: 'read' | 'change' = 'change') {
  requireMirrorFeature(call.ctx);
  const repo =
    access === 'read'
      ? await authorizeRepositoryAdminView(call.ctx, call.actor, repositoryParam(call))
      : await authorizedRepository(call, 'admin');
  const config = await findMirrorConfig(call.ctx.db, repo.id);
  if (!config) throw new NotFound('repository', `repository ${repo.namespace_name}/${repo.name} has no mirror configuration`);
  return { repo, config };
}

async function robotName(ctx: AppContext, robotId: number | null): Promise<string | null> {
  return robotId === null ? null : ((await findNamespaceById(ctx.db, robotId))?.name ?? null);
}

async function showMirror(call: ApiCall<unknown, unknown>) {
  const { config } = await mirroredRepository(call, 'read');
  return mirrorConfigView(call.ctx.secrets, config, await robotName(call.ctx, config.robotId));
}

/** Quay answers a second configuration with 409, which no domain error maps to. */
function replyAlreadyConfigured(call: ApiCall<unknown, unknown>, repo: RepositoryWithNamespace): void {
  const message = `repository ${repo.namespace_name}/${repo.name} already has a mirror configuration: change it with PUT`;
  const body = apiErrorBody({ status: 409, type: 'invalid_request', message }, apiBaseUrl(call.ctx.config, call.request.headers.host));
  call.reply.code(409).type('application/json').send(body);
}

async function createMirror(call: ApiCall<CreateInput>) {
  const { ctx, body } = call;
  requireMirrorFeature(ctx);
  const repo = await authorizedRepository(call, 'admin');
  if (await findMirrorConfig(ctx.db, repo.id)) return replyAlreadyConfigured(call, repo);
  refuseArchitectureFilter(body.architecture_filter);
  const changes = {
    externalReference: checkedReference(ctx, body.external_reference),
    syncIntervalSeconds: body.sync_interval,
    syncStartDate: checkedStartDate(body.sync_start_date),
    tagPatterns: checkedTagPatterns(body.root_rule),
    robotId: (await mirrorRobot(ctx, repo, body.robot_username)).id,
    isEnabled: body.is_enabled ?? true,
    registryConfig: mergedRegistryConfig(DEFAULT_MIRROR_REGISTRY_CONFIG, body.external_registry_config ?? {}),
    ...(body.skopeo_timeout_interval !== undefined && { skopeoTimeoutSeconds: checkedSkopeoTimeout(body.skopeo_timeout_interval) }),
    ...credentialChanges(body),
  };
  const created = await createMirrorConfig(ctx.db, ctx.secrets, repo.id, changes, nowMs());
  if (!created) return replyAlreadyConfigured(call, repo);
  await logMirrorActions(call, repo, [configChanged('external_reference', changes.externalReference)]);
  return undefined;
}

async function updateMirror(call: ApiCall<UpdateInput>) {
  const { ctx, body } = call;
  const { repo, config } = await mirroredRepository(call);
  refuseArchitectureFilter(body.architecture_filter);
  const robot = body.robot_username === undefined ? undefined : await mirrorRobot(ctx, repo, body.robot_username);
  const changes: MirrorConfigChanges = {
    ...(body.is_enabled !== undefined && { isEnabled: body.is_enabled }),
    ...(body.external_reference !== undefined && { externalReference: checkedReference(ctx, body.external_reference) }),
    ...(body.sync_interval !== undefined && { syncIntervalSeconds: body.sync_interval }),
    ...(body.sync_start_date !== undefined && { syncStartDate: checkedStartDate(body.sync_start_date) }),
    ...(body.skopeo_timeout_interval !== undefined && { skopeoTimeoutSeconds: checkedSkopeoTimeout(body.skopeo_timeout_interval) }),
    ...(body.root_rule !== undefined && { tagPatterns: checkedTagPatterns(body.root_rule) }),
    ...(body.external_registry_config !== undefined && {
      registryConfig: mergedRegistryConfig(config.registryConfig, body.external_registry_config),
    }),
    ...(robot && { robotId: robot.id }),
    ...credentialChanges(body),
  };
  const currentUsername = config.sealedUsername === null ? null : (ctx.secrets.open(config.sealedUsername) ?? null);
  const entries = updateLogEntries(config, currentUsername, changes, robot?.name);
  if (!(await changeMirrorConfig(ctx.db, ctx.secrets, repo.id, changes))) {
    throw new NotFound('repository', `repository ${repo.namespace_name}/${repo.name} has no mirror configuration`);
  }
  await logMirrorActions(call, repo, entries);
  return undefined;
}

async function syncNow(call: ApiCall<unknown, unknown>) {
  const { repo } = await mirroredRepository(call);
  if (!(await requestMirrorSyncNow(call.ctx.db, repo.id))) {
    throw new NotFound('repository', 'a sync of this repository is running already; cancel it or wait for it to finish');
  }
  await logMirrorActions(call, repo, [configChanged('sync_status', 'SYNC_NOW')]);
  return undefined;
}

async function syncCancel(call: ApiCall<unknown, unknown>) {
  const { repo } = await mirroredRepository(call);
  if (!(await cancelActiveMirrorSync(call.ctx.db, repo.id))) {
    throw new NotFound('repository', 'no sync of this repository is requested or running, so there is nothing to cancel');
  }
  await logMirrorActions(call, repo, [configChanged('sync_status', 'SYNC_CANCEL')]);
  return undefined;
}

export function registerMirrorRoutes(router: ApiRouter): void {
  const path = '/api/v1/repository/{repository}/mirror';
  router.add({
    method: 'GET',
    path,
    operationId: 'getRepoMirrorConfig',
    summary: "Fetch a repository's mirror configuration and the state of its syncs.",
    tag: 'mirror',
    handler: showMirror,
  });
  router.add({
    method: 'POST',
    path,
    operationId: 'createRepoMirrorConfig',
    summary: 'Create the mirror configuration of a repository and put the repository in MIRROR state.',
    tag: 'mirror',
    body: CreateBody,
    status: 201,
    handler: createMirror,
  });
  router.add({
    method: 'PUT',
    path,
    operationId: 'changeRepoMirrorConfig',
    summary: "Change fields of a repository's mirror configuration.",
    tag: 'mirror',
    body: UpdateBody,
    status: 201,
    handler: updateMirror,
  });
  router.add({
    method: 'POST',
    path: `${path}/sync-now`,
    operationId: 'syncNow',
    summary: 'Ask for a sync of the mirror at the next worker tick.',
    tag: 'mirror',
    status: 204,
    handler: syncNow,
  });
  router.add({
    method: 'POST',
    path: `${path}/sync-cancel`,
    operationId: 'syncCancel',
    summary: 'Cancel the requested or running sync of the mirror.',
    tag: 'mirror',
    status: 204,
    handler: syncCancel,
  });
}
