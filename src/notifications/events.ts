import { Invalid } from '../errors.js';
import type { RepositoryEvent } from '../model/repository-events.js';
import { parseSeverityLevel, severityForIndex, severityIndex } from './severity.js';

/**
 * What Quayside knows about each repository event (Quay's NotificationEvent classes): how serious
 * it is, a one-line summary and detail lines for people (e-mail, Slack), the sample payload the
 * "test" endpoint sends, the event filter a notification may set, and whether a payload passes it.
 * Payload fields are Quay's; the sentences are our own.
 */

/** Quay's event levels; Slack colours follow from them. */
export type EventLevel = 'info' | 'warning' | 'error' | 'success' | 'primary';

export type EventData = Record<string, unknown>;
export type EventConfig = Record<string, unknown>;

export interface SampleEvent {
  /** The event's own fields, added to the repository fields. */
  extra: EventData;
  /** Appended to the repository's homepage (builds link to their build page). */
  subpage?: string;
}

export interface EventDefinition {
  name: RepositoryEvent;
  level(data: EventData): EventLevel;
  summary(data: EventData): string;
  /** Further lines describing the event, for messages read by people. */
  details(data: EventData): string[];
  sample(config: EventConfig): SampleEvent;
  /** Throws Invalid when the notification's event config is unusable. */
  validateConfig(config: EventConfig): void;
  /** Whether a payload passes the notification's event config. */
  shouldDeliver(data: EventData, config: EventConfig): boolean;
}

function text(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function noConfig(): void {}
function always(): boolean {
  return true;
}

function tagLine(label: string, tags: string[]): string[] {
  return tags.length > 0 ? [`${label}: ${tags.join(', ')}`] : [];
}

// ---- repo_push ------------------------------------------------------------------------------------

const repoPush: EventDefinition = {
  name: 'repo_push',
  level: () => 'primary',
  summary: (data) => `New content pushed to ${text(data['repository'])}`,
  details: (data) => [...tagLine('Tags updated', list(data['updated_tags'])), `Pull with: ${text(data['docker_url'])}`],
  sample: () => ({ extra: { updated_tags: ['latest', 'foo'], pruned_image_count: 3 } }),
  validateConfig: noConfig,
  shouldDeliver: always,
};

// ---- mirror sync ----------------------------------------------------------------------------------

function mirrorEvent(name: RepositoryEvent, level: EventLevel, outcome: string): EventDefinition {
  return {
    name,
    level: () => level,
    summary: (data) => `Mirror sync ${outcome} for ${text(data['repository'])}`,
    details: (data) => (text(data['message']) ? [`Mirror said: ${text(data['message'])}`] : []),
    sample: () => ({ extra: { message: 'TEST NOTIFICATION' } }),
    validateConfig: noConfig,
    shouldDeliver: always,
  };
}

// ---- vulnerability_found --------------------------------------------------------------------------

const LEVEL_KEY = 'level';

function vulnerabilityPriority(data: EventData): string {
  return text(record(data['vulnerability'])['priority'], 'Unknown');
}

const vulnerabilityFound: EventDefinition = {
  name: 'vulnerability_found',
  level(data) {
    const priority = vulnerabilityPriority(data);
    if (priority === 'Critical') return 'error';
    if (priority === 'High' || priority === 'Medium') return 'warning';
    return 'info';
  },
  summary(data) {
    const repository = text(data['repository']);
    const tagCount = list(data['tags']).length;
    const many = Array.isArray(data['vulnerabilities']) ? data['vulnerabilities'].map(record) : undefined;
    if (many && many.length > 0) {
      const top = text(many[0]!['priority'], 'Unknown');
      const atTop = many.filter((v) => text(v['priority'], 'Unknown') === top).length;
      const rest = many.length - atTop;
      return `${atTop} ${top}${rest > 0 ? ` (+${rest} less severe)` : ''} vulnerabilities found in ${repository}, affecting ${tagCount} tags`;
    }
    return `${vulnerabilityPriority(data)} vulnerability found in ${repository}, affecting ${tagCount} tags`;
  },
  details(data) {
    const vulnerability = record(data['vulnerability']);
    const lines = tagLine('Affected tags', list(data['tags']));
    if (text(vulnerability['id'])) lines.push(`Vulnerability: ${text(vulnerability['id'])}`);
    if (text(vulnerability['description'])) lines.push(text(vulnerability['description']));
    if (text(vulnerability['link'])) lines.push(`More: ${text(vulnerability['link'])}`);
    return lines;
  },
  sample(config) {
    const level = parseSeverityLevel(config[LEVEL_KEY]) ?? severityIndex('Critical')!;
    return {
      extra: {
        tags: ['latest', 'prod', 'foo', 'bar', 'baz'],
        image: 'some-image-id',
        vulnerability: {
          id: 'CVE-FAKE-CVE',
          description: 'A made-up vulnerability, sent to test this notification',
          link: 'https://security-tracker.debian.org/tracker/CVE-FAKE-CVE',
          priority: severityForIndex(level),
        },
      },
    };
  },
  validateConfig(config) {
    if (config[LEVEL_KEY] === undefined) return;
    if (parseSeverityLevel(config[LEVEL_KEY]) === undefined) {
      throw new Invalid('input', 'eventConfig.level must be a severity index from 0 (Critical) to 5 (Unknown) or a severity name');
    }
  },
  // A vulnerability at or above the configured severity passes; a report without one does not,
  // unless it announces a new vulnerable index report (as in Quay).
  shouldDeliver(data, config) {
    if (config[LEVEL_KEY] === undefined) return true;
    if ('vulnerable_index_report_created' in data) return true;
    if (!('vulnerability' in data)) return false;
    const actual = severityIndex(vulnerabilityPriority(data));
    const wanted = parseSeverityLevel(config[LEVEL_KEY]);
    if (actual === undefined || wanted === undefined) return false;
    return actual <= wanted;
  },
};

// ---- repo_image_expiry ----------------------------------------------------------------------------

const MAX_EXPIRY_DAYS = 30;

function expiryDays(config: EventConfig): number | undefined {
  const days = typeof config['days'] === 'string' && /^[0-9]+$/.test(config['days']) ? Number(config['days']) : config['days'];
  return typeof days === 'number' && Number.isInteger(days) && days >= 1 && days <= MAX_EXPIRY_DAYS ? days : undefined;
}

const repoImageExpiry: EventDefinition = {
  name: 'repo_image_expiry',
  level: () => 'info',
  summary: (data) => `Tags in ${text(data['repository'])} are about to expire`,
  details: (data) => [
    ...tagLine('Expiring tags', list(data['tags'])),
    ...(text(data['expiring_in']) ? [`They expire within ${text(data['expiring_in'])}`] : []),
  ],
  sample: (config) => ({ extra: { tags: ['latest', 'v1.0'], expiring_in: `${expiryDays(config) ?? 5} days` } }),
  validateConfig(config) {
    if (expiryDays(config) === undefined) {
      throw new Invalid('input', `eventConfig.days must be a whole number of days from 1 to ${MAX_EXPIRY_DAYS}`);
    }
  },
  shouldDeliver: always,
};

// ---- build_* ----------------------------------------------------------------------------------------

const SAMPLE_BUILD_ID = 'fake-build-id';

function sampleBuild(extra: EventData, withCommitInfo: boolean): SampleEvent {
  const triggerMetadata: Record<string, unknown> = {
    default_branch: 'master',
    ref: 'refs/heads/somebranch',
    commit: '42d4a62c53350993ea41069e9f2cfdefb0df097d',
  };
  if (withCommitInfo) {
    triggerMetadata['commit_info'] = {
      url: 'http://path/to/the/commit',
      message: 'Some commit message',
      date: Math.floor(Date.now() / 1000),
      author: {
        username: 'fakeauthor',
        url: 'http://path/to/fake/author/in/scm',
        avatar_url: 'http://www.gravatar.com/avatar/fakehash',
      },
    };
  }
  return {
    extra: {
      build_id: SAMPLE_BUILD_ID,
      build_name: 'some-fake-build',
      docker_tags: ['latest', 'foo', 'bar'],
      trigger_id: '1245634',
      trigger_kind: 'GitHub',
      trigger_metadata: triggerMetadata,
      ...extra,
    },
    subpage: `/build/${SAMPLE_BUILD_ID}`,
  };
}

/**
 * Build events may filter on the git ref with `ref-regex` (Quay's BaseBuildEvent). The pattern comes
 * from users, so it is kept cheap to run: at most MAX_REF_REGEX_LENGTH characters, no quantified
 * group that itself holds a quantifier or an alternation (the shapes of catastrophic backtracking,
 * such as `(a+)+` or `(a|a)*`), and refs longer than MAX_REF_LENGTH never match.
 */
export const MAX_REF_REGEX_LENGTH = 256;
export const MAX_REF_LENGTH = 256;

/** Why `pattern` is refused as a ref filter; undefined when it is acceptable. */
export function refRegexProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_REF_REGEX_LENGTH) return `it is longer than ${MAX_REF_REGEX_LENGTH} characters`;
  try {
    new RegExp(pattern);
  } catch {
    return 'it is not a valid regular expression';
  }
  if (hasQuantifiedComplexGroup(pattern)) return 'it repeats a group that holds a repetition or an alternation';
  return undefined;
}

/**
 * A crude scan for `( ... + ... )*`-like shapes: a group containing an unescaped `*`, `+`, `{` or
 * `|` and followed by `*`, `+` or `{`. Character classes are skipped. It refuses some harmless
 * patterns (such as `(heads|tags)+`); such filters can be written without the repeated group.
 */
function hasQuantifiedComplexGroup(pattern: string): boolean {
  const groups: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') inClass = true;
    else if (ch === '(') groups.push(false);
    else if (ch === ')') {
      const complex = groups.pop() ?? false;
      const next = pattern[i + 1];
      if (complex && (next === '*' || next === '+' || next === '{')) return true;
      // A complex group makes the group around it complex; a repeated one does so through the quantifier that follows.
      if (complex && groups.length > 0) groups[groups.length - 1] = true;
    } else if ((ch === '*' || ch === '+' || ch === '{' || ch === '|') && groups.length > 0) {
      groups[groups.length - 1] = true;
    }
  }
  return false;
}

function buildRefFilter(data: EventData, config: EventConfig): boolean {
  const pattern = config['ref-regex'];
  if (typeof pattern !== 'string' || pattern === '') return true;
  const ref = record(data['trigger_metadata'])['ref'];
  if (typeof ref !== 'string' || ref.length > MAX_REF_LENGTH) return false;
  // Filters stored before these limits existed are held to them as well.
  if (refRegexProblem(pattern) !== undefined) return false;
  // Python's re.match anchors at the start only.
  return new RegExp(`^(?:${pattern})`).test(ref);
}

function validateBuildConfig(config: EventConfig): void {
  const pattern = config['ref-regex'];
  if (pattern === undefined || pattern === null || pattern === '') return;
  if (typeof pattern !== 'string') throw new Invalid('input', 'eventConfig.ref-regex must be a string');
  const problem = refRegexProblem(pattern);
  if (problem) throw new Invalid('input', `eventConfig.ref-regex is refused: ${problem}`);
}

function buildEvent(name: RepositoryEvent, level: EventLevel, verb: string, sample: () => SampleEvent): EventDefinition {
  return {
    name,
    level: () => level,
    summary: (data) => `Build ${verb} for ${text(data['repository'])} [${text(data['build_id']).slice(0, 7)}]`,
    details: (data) => [
      ...(text(data['build_name']) ? [`Build: ${text(data['build_name'])}`] : []),
      ...tagLine('Tags', list(data['docker_tags'])),
      ...(text(data['error_message']) ? [`Error: ${text(data['error_message'])}`] : []),
    ],
    sample,
    validateConfig: validateBuildConfig,
    shouldDeliver: buildRefFilter,
  };
}

const EVENTS: Record<RepositoryEvent, EventDefinition> = {
  repo_push: repoPush,
  vulnerability_found: vulnerabilityFound,
  repo_mirror_sync_started: mirrorEvent('repo_mirror_sync_started', 'info', 'started'),
  repo_mirror_sync_success: mirrorEvent('repo_mirror_sync_success', 'success', 'succeeded'),
  repo_mirror_sync_failed: mirrorEvent('repo_mirror_sync_failed', 'error', 'failed'),
  repo_image_expiry: repoImageExpiry,
  build_queued: buildEvent('build_queued', 'info', 'queued', () => sampleBuild({ is_manual: false }, true)),
  build_start: buildEvent('build_start', 'info', 'started', () => sampleBuild({}, false)),
  build_success: buildEvent('build_success', 'success', 'succeeded', () => sampleBuild({ image_id: '1245657346' }, false)),
  build_failure: buildEvent('build_failure', 'error', 'failed', () =>
    sampleBuild({ error_message: 'This is a fake error message' }, true),
  ),
  build_cancelled: buildEvent('build_cancelled', 'info', 'cancelled', () => sampleBuild({ image_id: '1245657346' }, false)),
};

/** The definition of a known event; undefined for any other name. */
export function eventDefinition(name: string): EventDefinition | undefined {
  return Object.hasOwn(EVENTS, name) ? EVENTS[name as RepositoryEvent] : undefined;
}
