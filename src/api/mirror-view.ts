import type { SecretBox } from '../auth/secret-box.js';
import type { MirrorConfig } from '../model/repo-mirror.js';
import { parseProxyUrl } from '../net/proxy-url.js';

/**
 * The JSON of Quay's repository mirror resource (endpoints/api/mirror.py) and its date format,
 * which is not the RFC 2822 of the other views: `2026-11-30T02:12:09Z` both ways.
 */

const MIRROR_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

/** What Quay shows for a stored username that no longer decrypts (the key changed). */
const UNREADABLE_USERNAME = '(invalid. please re-enter)';

export function formatMirrorDate(ms: number | null): string | null {
  if (ms === null) return null;
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Milliseconds of a `%Y-%m-%dT%H:%M:%SZ` date; undefined when the text is not one (or names no real day). */
export function parseMirrorDate(text: string): number | undefined {
  const match = MIRROR_DATE.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  // Date.UTC rolls 30 February over into March: such a date is not one.
  return formatMirrorDate(ms) === text ? ms : undefined;
}

function usernameInClear(secrets: SecretBox, sealed: string | null): string | null {
  if (sealed === null) return null;
  return secrets.open(sealed) ?? UNREADABLE_USERNAME;
}

/**
 * Quay's ViewMirrorConfig, plus `last_sync` (when the last sync started and ended, and what it
 * reported), which the web UI shows. The password never leaves the server.
 */
export function mirrorConfigView(secrets: SecretBox, config: MirrorConfig, robotName: string | null) {
  return {
    is_enabled: config.isEnabled,
    mirror_type: 'PULL',
    external_reference: config.externalReference,
    external_registry_username: usernameInClear(secrets, config.sealedUsername),
    external_registry_config: config.registryConfig,
    sync_interval: config.syncIntervalSeconds,
    sync_start_date: formatMirrorDate(config.syncStartDate),
    sync_expiration_date: formatMirrorDate(config.syncExpirationDate),
    sync_retries_remaining: config.syncRetriesRemaining,
    sync_status: config.syncStatus,
    root_rule: { rule_kind: 'tag_glob_csv', rule_value: config.tagPatterns },
    robot_username: robotName,
    skopeo_timeout_interval: config.skopeoTimeoutSeconds,
    // Architecture filtering is not supported: every mirror copies all architectures.
    architecture_filter: [] as string[],
    last_sync: {
      started: formatMirrorDate(config.lastSyncStartedAt),
      finished: formatMirrorDate(config.lastSyncFinishedAt),
      message: config.lastSyncMessage,
    },
  };
}

/**
 * A proxy setting as a usage log may show it: the password of `user:password@` masked, read as the
 * mirror reads the setting (a value without a scheme is an http:// proxy). A value that does not
 * parse cleanly keeps only what follows its last `@`.
 */
export function proxyForLog(value: string | null): string | null {
  if (value === null) return null;
  const url = parseProxyUrl(value);
  if (url && !`${url.pathname}${url.search}${url.hash}`.includes('@')) {
    if (url.password === '') return value;
    url.password = '********';
    return url.href;
  }
  const at = value.lastIndexOf('@');
  return at < 0 ? value : `********@${value.slice(at + 1)}`;
}
