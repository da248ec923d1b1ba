import type { MirrorConfigView, MirrorConfigWrite } from '../../api/mirror';

/**
 * The mirror form's state as the user types it, and its translation to and from the API: local
 * date and time <-> UTC "YYYY-MM-DDTHH:MM:SSZ", a number and a unit <-> seconds, comma-separated
 * patterns <-> the tag_glob_csv rule.
 */

export type IntervalUnit = 'seconds' | 'minutes' | 'hours' | 'days';

export const UNIT_SECONDS: Record<IntervalUnit, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

/** The units the form offers; seconds only appear for a stored interval that is not whole minutes. */
export const OFFERED_UNITS: readonly IntervalUnit[] = ['minutes', 'hours', 'days'];

export interface MirrorDraft {
  enabled: boolean;
  externalReference: string;
  tags: string;
  /** Local date, YYYY-MM-DD. */
  startDay: string;
  /** Local time, HH:MM (24 hours). */
  startTime: string;
  intervalValue: string;
  intervalUnit: IntervalUnit;
  robot: string;
  username: string;
  /** Write-only: empty means "leave the stored password alone". */
  password: string;
  verifyTls: boolean;
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

export type DraftField = 'externalReference' | 'tags' | 'start' | 'interval' | 'robot' | 'credentials';
export type DraftProblems = Partial<Record<DraftField, string>>;

const DEFAULT_INTERVAL_HOURS = 24;

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

export function localDay(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function localTime(date: Date): string {
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The local day and time as a Date, or undefined when either is not a real date or time. */
export function parseLocalStart(day: string, time: string): Date | undefined {
  const dayMatch = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  const timeMatch = /^(\d{1,2}):(\d{2})$/.exec(time.trim());
  if (!dayMatch || !timeMatch) return undefined;
  const [year, month, date] = [Number(dayMatch[1]), Number(dayMatch[2]), Number(dayMatch[3])];
  const [hours, minutes] = [Number(timeMatch[1]), Number(timeMatch[2])];
  if (hours > 23 || minutes > 59) return undefined;
  const start = new Date(year, month - 1, date, hours, minutes);
  return start.getFullYear() === year && start.getMonth() === month - 1 && start.getDate() === date ? start : undefined;
}

/** Quay's date format: UTC to the second, "Z" suffix, no fraction. */
export function apiDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export function splitTagPatterns(text: string): string[] {
  return text
    .split(',')
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '');
}

/** The largest unit that expresses `seconds` exactly. */
export function intervalParts(seconds: number): { value: string; unit: IntervalUnit } {
  for (const unit of ['days', 'hours', 'minutes'] as const) {
    if (seconds > 0 && seconds % UNIT_SECONDS[unit] === 0) return { value: String(seconds / UNIT_SECONDS[unit]), unit };
  }
  return { value: String(seconds), unit: 'seconds' };
}

export function emptyDraft(now: Date): MirrorDraft {
  return {
    enabled: true,
    externalReference: '',
    tags: '',
    startDay: localDay(now),
    startTime: localTime(now),
    intervalValue: String(DEFAULT_INTERVAL_HOURS),
    intervalUnit: 'hours',
    robot: '',
    username: '',
    password: '',
    verifyTls: true,
    httpProxy: '',
    httpsProxy: '',
    noProxy: '',
  };
}

export function draftFromMirror(mirror: MirrorConfigView, now: Date): MirrorDraft {
  const start = mirror.sync_start_date ? new Date(mirror.sync_start_date) : now;
  const startDate = Number.isNaN(start.getTime()) ? now : start;
  const interval = intervalParts(mirror.sync_interval);
  const proxy = mirror.external_registry_config.proxy;
  return {
    enabled: mirror.is_enabled,
    externalReference: mirror.external_reference,
    tags: mirror.root_rule.rule_value.join(', '),
    startDay: localDay(startDate),
    startTime: localTime(startDate),
    intervalValue: interval.value,
    intervalUnit: interval.unit,
    robot: mirror.robot_username ?? '',
    username: mirror.external_registry_username ?? '',
    password: '',
    verifyTls: mirror.external_registry_config.verify_tls,
    httpProxy: proxy.http_proxy ?? '',
    httpsProxy: proxy.https_proxy ?? '',
    noProxy: proxy.no_proxy ?? '',
  };
}

function intervalSeconds(draft: MirrorDraft): number | undefined {
  const text = draft.intervalValue.trim();
  if (!/^\d+$/.test(text)) return undefined;
  const seconds = Number(text) * UNIT_SECONDS[draft.intervalUnit];
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** Whether the save must send the credentials: they were typed, changed or cleared. */
function credentialsTouched(draft: MirrorDraft, stored: MirrorConfigView | null): boolean {
  return draft.password !== '' || draft.username.trim() !== (stored?.external_registry_username ?? '');
}

/** What the form must fix before it is sent; the server checks the rest (the location's form, the robot). */
export function draftProblems(draft: MirrorDraft, stored: MirrorConfigView | null): DraftProblems {
  const problems: DraftProblems = {};
  if (draft.externalReference.trim() === '') {
    problems.externalReference = 'Enter the registry location, e.g. registry.example.com/namespace/repository.';
  }
  if (splitTagPatterns(draft.tags).length === 0) problems.tags = 'Enter at least one tag pattern, e.g. latest or v1.*.';
  if (!parseLocalStart(draft.startDay, draft.startTime)) problems.start = 'Enter the date as YYYY-MM-DD and the time as HH:MM.';
  if (intervalSeconds(draft) === undefined) problems.interval = 'Enter a whole number greater than 0.';
  if (draft.robot === '') problems.robot = 'Choose the robot account that writes the mirrored tags.';
  if (credentialsTouched(draft, stored) && draft.username.trim() === '' && draft.password !== '') {
    problems.credentials = 'Enter the username that goes with this password.';
  }
  return problems;
}

function optionalText(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * The request body of a draft without problems: everything for a new mirror. For a stored one,
 * the start date only when the user changed it from `loaded` (the draft as the form was filled):
 * the worker moves it to the next sync, and an old value sent back would reschedule the mirror.
 * Credentials only when they changed; the password is never read back, so it is sent only when
 * typed: a new username alone keeps the stored password, and no username removes both.
 */
export function draftToWrite(draft: MirrorDraft, stored: MirrorConfigView | null, loaded: MirrorDraft): MirrorConfigWrite {
  const start = parseLocalStart(draft.startDay, draft.startTime);
  const seconds = intervalSeconds(draft);
  if (!start || seconds === undefined) throw new Error('draftToWrite called with an invalid draft');
  const body: MirrorConfigWrite = {
    is_enabled: draft.enabled,
    external_reference: draft.externalReference.trim(),
    root_rule: { rule_kind: 'tag_glob_csv', rule_value: splitTagPatterns(draft.tags) },
    sync_interval: seconds,
    robot_username: draft.robot,
    external_registry_config: {
      verify_tls: draft.verifyTls,
      unsigned_images: stored?.external_registry_config.unsigned_images ?? false,
      proxy: { http_proxy: optionalText(draft.httpProxy), https_proxy: optionalText(draft.httpsProxy), no_proxy: optionalText(draft.noProxy) },
    },
  };
  if (!stored || draft.startDay !== loaded.startDay || draft.startTime !== loaded.startTime) body.sync_start_date = apiDate(start);
  if (credentialsTouched(draft, stored)) {
    const username = draft.username.trim();
    body.external_registry_username = username === '' ? null : username;
    if (username === '') body.external_registry_password = null;
    else if (draft.password !== '') body.external_registry_password = draft.password;
  }
  return body;
}
