import type { QuaysideConfig } from '../config/load.js';

// A DNS name (letters, digits, hyphens, dots), an IPv4 address or a bracketed IPv6 address, then an optional port.
const HOST_AND_PORT = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?$/;
const MAX_HOST_LENGTH = 261;

/** Whether a Host header is a syntactically valid host[:port], fit to appear in links and payloads. */
export function isValidHostHeader(value: string): boolean {
  if (value.length > MAX_HOST_LENGTH) return false;
  const match = HOST_AND_PORT.exec(value);
  if (!match) return false;
  const port = match[1];
  return port === undefined || Number(port) <= 65_535;
}

/**
 * The registry's public host[:port]: the `service` of its WWW-Authenticate challenges, the `aud`
 * of its tokens, the host of pull addresses in event payloads. SERVER_HOSTNAME when configured
 * (the request's Host is then never used); otherwise the Host the client used, when it is a valid
 * host[:port], else `localhost`.
 */
export function registryService(config: QuaysideConfig, hostHeader: string | undefined): string {
  if (config.SERVER_HOSTNAME) return config.SERVER_HOSTNAME;
  return hostHeader !== undefined && isValidHostHeader(hostHeader) ? hostHeader : 'localhost';
}
