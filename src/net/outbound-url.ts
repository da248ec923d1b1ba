import type { QuaysideConfig } from '../config/load.js';

/**
 * The one check for URLs the registry itself calls: notification webhooks, Slack webhooks and
 * log-export callbacks. A URL passes when it is an absolute http(s) URL whose host is not in
 * WEBHOOK_HOSTNAME_BLACKLIST. Callers check it when the URL is accepted and again right before
 * each request (which never follows redirects), so a host blacklisted later is not called either.
 * The returned URL's host is what callers may show: paths and queries of receiver URLs often
 * carry secrets.
 */

type BlacklistConfig = Pick<QuaysideConfig, 'WEBHOOK_HOSTNAME_BLACKLIST'>;

// WHATWG URL parsing accepts "http:host" and "http:/host"; only the spelled-out form is taken.
const HTTP_PREFIX = /^https?:\/\/[^\s/?#]/i;

/** A host name as compared with the blacklist: lower case, no trailing dot, no IPv6 brackets. */
function comparableHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '').replace(/^\[(.*)\]$/, '$1');
}

/** `value` parsed when it is an absolute http(s) URL; undefined otherwise. */
function httpUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string' || !HTTP_PREFIX.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
}

/** Whether `url`'s host is one the registry must not call. */
function isBlacklistedHost(config: BlacklistConfig, url: URL): boolean {
  const host = comparableHost(url.hostname);
  return config.WEBHOOK_HOSTNAME_BLACKLIST.some((blocked) => comparableHost(blocked) === host);
}

/** `value` parsed when the registry may call it (see above); undefined when it is not a usable URL or its host is blacklisted. */
export function allowedOutboundUrl(config: BlacklistConfig, value: unknown): URL | undefined {
  const url = httpUrl(value);
  return url && !isBlacklistedHost(config, url) ? url : undefined;
}
