import type { QuaysideConfig } from '../config/load.js';
import { comparableHost, isRefusedLiteralHost, outboundAllowList } from './address-policy.js';

/**
 * The one check for URLs the registry itself calls: notification webhooks, Slack webhooks and
 * log-export callbacks. A URL passes when it is an absolute http(s) URL whose host is not in
 * WEBHOOK_HOSTNAME_BLACKLIST and is not a non-public IP literal or a `localhost` name (unless
 * SSRF_ALLOWED_HOSTS allows it; see address-policy.ts). Callers check it when the URL is accepted
 * and again right before each request. This check cannot see what a host name resolves to: the
 * request itself (outbound-post.ts) checks the address it connects to.
 * The returned URL's host is what callers may show: paths and queries of receiver URLs often
 * carry secrets.
 */

export type OutboundConfig = Pick<QuaysideConfig, 'WEBHOOK_HOSTNAME_BLACKLIST' | 'SSRF_ALLOWED_HOSTS'>;

// WHATWG URL parsing accepts "http:host" and "http:/host"; only the spelled-out form is taken.
const HTTP_PREFIX = /^https?:\/\/[^\s/?#]/i;

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
export function isBlacklistedHost(config: Pick<OutboundConfig, 'WEBHOOK_HOSTNAME_BLACKLIST'>, url: URL): boolean {
  const host = comparableHost(url.hostname);
  return config.WEBHOOK_HOSTNAME_BLACKLIST.some((blocked) => comparableHost(blocked) === host);
}

/** `value` parsed when the registry may call it (see above); undefined when it is not a usable URL or its host is refused. */
export function allowedOutboundUrl(config: OutboundConfig, value: unknown): URL | undefined {
  const url = httpUrl(value);
  if (!url || isBlacklistedHost(config, url) || isRefusedLiteralHost(outboundAllowList(config), url.hostname)) return undefined;
  return url;
}
