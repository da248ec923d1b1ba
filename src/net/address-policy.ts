import { BlockList, isIP } from 'node:net';
import type { QuaysideConfig } from '../config/load.js';

/**
 * Which network addresses the registry may open outbound connections to (webhooks, Slack, log-export
 * callbacks). Only public unicast addresses pass by default: loopback, "this network" (0.0.0.0/8,
 * ::), link-local (169.254.0.0/16 with the cloud metadata service, fe80::/10), private (RFC 1918,
 * carrier-grade NAT, fc00::/7), documentation, benchmarking, multicast and reserved ranges are
 * refused. SSRF_ALLOWED_HOSTS (Quay's key) lifts the refusal for listed host names and for addresses
 * in listed IPs or CIDR ranges, for operators whose receivers run on their own network.
 */

export type AllowListConfig = Pick<QuaysideConfig, 'SSRF_ALLOWED_HOSTS'>;

const NON_PUBLIC_IPV4: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network", with the unspecified address
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, with the broadcast address
];

const NON_PUBLIC_IPV6: readonly [string, number][] = [
  ['::', 96], // unspecified, loopback and IPv4-compatible addresses
  ['64:ff9b::', 96], // NAT64
  ['100::', 64], // discard-only
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // deprecated site-local
  ['ff00::', 8], // multicast
];

// BlockList checks IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) against the IPv4 rules itself.
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of NON_PUBLIC_IPV4) NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of NON_PUBLIC_IPV6) NON_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** A host as compared with configured lists: lower case, no trailing dot, no IPv6 brackets. */
export function comparableHost(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '').replace(/^\[(.*)\]$/, '$1');
}

function ipFamily(address: string): 'ipv4' | 'ipv6' | undefined {
  const version = isIP(address);
  return version === 4 ? 'ipv4' : version === 6 ? 'ipv6' : undefined;
}

/** Whether `address` (an IP literal) is outside public unicast space; anything that is not an IP counts as non-public. */
export function isNonPublicAddress(address: string): boolean {
  const family = ipFamily(comparableHost(address));
  return family === undefined || NON_PUBLIC.check(comparableHost(address), family);
}

/** SSRF_ALLOWED_HOSTS parsed: host names, and IPs or CIDR ranges. */
export interface OutboundAllowList {
  names: ReadonlySet<string>;
  addresses: BlockList;
}

/** Parses SSRF_ALLOWED_HOSTS. An entry that is neither an IP nor a valid CIDR range is a host name. */
export function outboundAllowList(config: AllowListConfig): OutboundAllowList {
  const names = new Set<string>();
  const addresses = new BlockList();
  for (const raw of config.SSRF_ALLOWED_HOSTS) {
    const entry = comparableHost(raw);
    const [network = '', prefix, ...extra] = entry.split('/');
    const family = ipFamily(network);
    const bits = Number(prefix);
    const maxBits = family === 'ipv4' ? 32 : 128;
    if (family && prefix === undefined) addresses.addAddress(network, family);
    else if (family && extra.length === 0 && /^\d+$/.test(prefix ?? '') && bits <= maxBits) addresses.addSubnet(network, bits, family);
    else names.add(entry);
  }
  return { names, addresses };
}

/**
 * Whether the registry may connect to `address` (an IP literal) when calling `host` (the URL's host
 * name or IP literal): yes when the host name or the address is allow-listed, else only for public
 * unicast addresses.
 */
export function mayConnect(allowList: OutboundAllowList, host: string, address: string): boolean {
  if (allowList.names.has(comparableHost(host))) return true;
  const ip = comparableHost(address);
  const family = ipFamily(ip);
  if (family === undefined) return false;
  if (allowList.addresses.check(ip, family)) return true;
  return !isNonPublicAddress(ip);
}

/** Names reserved for the loopback interface (RFC 6761). */
export function isLocalhostName(host: string): boolean {
  const name = comparableHost(host);
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Whether the policy refuses `hostname` (a URL's host name, brackets allowed) without a DNS lookup:
 * an IP literal outside public space, or a localhost name, unless `allowList` lists it. WHATWG URL
 * parsing has already turned forms such as `127.1`, `2130706433` or `0x7f.1` into dotted quads.
 */
export function isRefusedLiteralHost(allowList: OutboundAllowList, hostname: string): boolean {
  const host = comparableHost(hostname);
  if (isIP(host)) return !mayConnect(allowList, host, host);
  return isLocalhostName(host) && !allowList.names.has(host);
}
