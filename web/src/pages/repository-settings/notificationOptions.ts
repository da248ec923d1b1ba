/**
 * The events and delivery methods Quayside's notification API accepts (src/notifications), with
 * the words the UI shows for them and the feature flag each one depends on.
 */

export type EventConfigKind = 'none' | 'severity' | 'days' | 'ref-regex';

export interface EventOption {
  name: string;
  label: string;
  config: EventConfigKind;
  /** The public-config feature (without FEATURE_) that must be on for the event to happen. */
  feature?: string;
}

export const EVENTS: EventOption[] = [
  { name: 'repo_push', label: 'Push to repository', config: 'none' },
  { name: 'vulnerability_found', label: 'Package vulnerability found', config: 'severity' },
  { name: 'repo_image_expiry', label: 'Image expiry trigger', config: 'days' },
  { name: 'build_queued', label: 'Image build queued', config: 'ref-regex' },
  { name: 'build_start', label: 'Image build started', config: 'ref-regex' },
  { name: 'build_success', label: 'Image build success', config: 'ref-regex' },
  { name: 'build_failure', label: 'Image build failed', config: 'ref-regex' },
  { name: 'build_cancelled', label: 'Image build cancelled', config: 'ref-regex' },
  { name: 'repo_mirror_sync_started', label: 'Repository mirror started', config: 'none', feature: 'REPO_MIRROR' },
  { name: 'repo_mirror_sync_success', label: 'Repository mirror success', config: 'none', feature: 'REPO_MIRROR' },
  { name: 'repo_mirror_sync_failed', label: 'Repository mirror unsuccessful', config: 'none', feature: 'REPO_MIRROR' },
];

export type MethodName = 'webhook' | 'slack' | 'email' | 'quay_notification';

export interface MethodOption {
  name: MethodName;
  label: string;
  feature?: string;
}

export const METHODS: MethodOption[] = [
  { name: 'webhook', label: 'Webhook POST' },
  { name: 'slack', label: 'Slack notification' },
  { name: 'email', label: 'E-mail notification', feature: 'MAILING' },
  { name: 'quay_notification', label: 'Registry notification (in the UI)' },
];

/** Quay's severity indexes: the event config's `level` is the least severe one reported. */
export const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'] as const;

export const MAX_EXPIRY_DAYS = 30;

export function available<T extends { feature?: string }>(options: T[], features: Record<string, boolean> | undefined): T[] {
  return options.filter((option) => !option.feature || features?.[option.feature] === true);
}

export function eventLabel(name: string): string {
  return EVENTS.find((event) => event.name === name)?.label ?? name;
}

export function methodLabel(name: string): string {
  return METHODS.find((method) => method.name === name)?.label ?? name;
}

/** Where a notification goes, in a few words (a URL's host only: paths of receiver URLs often hold secrets). */
export function destination(method: string, config: Record<string, unknown>): string {
  if ((method === 'webhook' || method === 'slack') && typeof config['url'] === 'string') {
    try {
      return new URL(config['url']).host;
    } catch {
      return '';
    }
  }
  if (method === 'email' && typeof config['email'] === 'string') return config['email'];
  const target = config['target'];
  if (method === 'quay_notification' && target && typeof target === 'object' && 'name' in target) {
    return String((target as { name: unknown }).name);
  }
  return '';
}

/** How the event config reads in the list (e.g. "High or worse"). */
export function eventConfigSummary(event: string, config: Record<string, unknown>): string {
  const kind = EVENTS.find((option) => option.name === event)?.config;
  if (kind === 'severity' && config['level'] !== undefined) {
    const index = Number(config['level']);
    const name = Number.isInteger(index) ? SEVERITIES[index] : String(config['level']);
    return name ? `${name} or worse` : '';
  }
  if (kind === 'days' && config['days'] !== undefined) return `${String(config['days'])} days before`;
  if (kind === 'ref-regex' && typeof config['ref-regex'] === 'string' && config['ref-regex']) return `refs matching ${config['ref-regex']}`;
  return '';
}
