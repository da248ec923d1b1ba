import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher, ProxyAgent } from 'undici';
import type { MirrorProxy } from '../model/repo-mirror.js';
import { comparableHost, isRefusedLiteralHost, type OutboundAllowList, outboundAllowList } from '../net/address-policy.js';
import { guardedLookup } from '../net/outbound-post.js';
import { parseProxyUrl } from '../net/proxy-url.js';
import { RemoteRegistryError } from './remote.js';

/**
 * The connections of one mirror's registry client: TLS trust (Node's roots plus the extra CA
 * certificates, or none when verification is off), the mirror's proxies (http_proxy for http://
 * targets, https_proxy for https:// targets, no_proxy to bypass them), and the SSRF policy. Under an
 * SSRF_ALLOWED_HOSTS policy, direct connections resolve names only through guardedLookup, so they
 * reach only allowed addresses; IP literals and localhost names are checked before any request, which
 * is all that can be checked for a target reached through a proxy.
 */

export interface DispatcherSettings {
  verifyTls: boolean;
  extraCaPems?: readonly string[] | undefined;
  proxy?: MirrorProxy | undefined;
  ssrfAllowedHosts?: readonly string[] | undefined;
}

/** A way to reach one URL: the dispatcher, and the proxy's host when it goes through one (for messages). */
export interface Route {
  dispatcher: Dispatcher;
  via?: string;
}

/** A proxy setting parsed (see proxy-url.ts); 'unreachable' when it is set but not an http(s) proxy URL. */
function proxyUrl(value: string | null | undefined, name: string): URL | undefined {
  if (!value?.trim()) return undefined;
  const url = parseProxyUrl(value);
  if (!url) throw new RemoteRegistryError('unreachable', `the mirror's ${name} setting is not an http:// or https:// proxy URL`);
  return url;
}

/** A no_proxy entry: host (lower case, no brackets, no leading `.` or `*.`) and optional port. */
function noProxyEntry(raw: string): { host: string; port: string | undefined } {
  const entry = raw.trim().toLowerCase();
  if (isIP(entry) === 6) return { host: entry, port: undefined };
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] };
  const withPort = /^(.*):(\d+)$/.exec(entry);
  const host = (withPort ? withPort[1]! : entry).replace(/^\*?\./, '');
  return { host: comparableHost(host), port: withPort?.[2] };
}

/** Whether no_proxy (`*`, or host names matching themselves and their subdomains, IPs, each with an optional :port) covers `url`. */
export function bypassesProxy(noProxy: string | null | undefined, url: URL): boolean {
  const host = comparableHost(url.hostname);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of (noProxy ?? '').split(',')) {
    if (raw.trim() === '') continue;
    if (raw.trim() === '*') return true;
    const entry = noProxyEntry(raw);
    if (entry.port !== undefined && entry.port !== port) continue;
    if (host === entry.host || host.endsWith(`.${entry.host}`)) return true;
  }
  return false;
}

export class OutboundDispatchers {
  private readonly allowList: OutboundAllowList | undefined;
  private readonly tls: { ca?: string[]; rejectUnauthorized: boolean };
  private readonly httpProxy: URL | undefined;
  private readonly httpsProxy: URL | undefined;
  private direct: Agent | undefined;
  private readonly proxies = new Map<string, ProxyAgent>();

  constructor(private readonly settings: DispatcherSettings) {
    this.allowList = settings.ssrfAllowedHosts ? outboundAllowList({ SSRF_ALLOWED_HOSTS: [...settings.ssrfAllowedHosts] }) : undefined;
    const extra = settings.extraCaPems ?? [];
    // Giving `ca` replaces Node's default roots, so they are passed along explicitly.
    this.tls = { rejectUnauthorized: settings.verifyTls, ...(extra.length > 0 && { ca: [...rootCertificates, ...extra] }) };
    this.httpProxy = proxyUrl(settings.proxy?.http_proxy, 'http_proxy');
    this.httpsProxy = proxyUrl(settings.proxy?.https_proxy, 'https_proxy');
  }

  /** How to reach `url`; throws RemoteRegistryError('refused') when the SSRF policy refuses its host outright. */
  route(url: URL): Route {
    this.checkLiteralHost(url.hostname, url.host);
    const proxy = url.protocol === 'https:' ? this.httpsProxy : this.httpProxy;
    if (proxy && !bypassesProxy(this.settings.proxy?.no_proxy, url)) {
      this.checkLiteralHost(proxy.hostname, `proxy ${proxy.host}`);
      return { dispatcher: this.proxyAgent(proxy, url.protocol === 'https:'), via: proxy.host };
    }
    this.direct ??= new Agent({ connect: { ...this.tls, ...(this.allowList && { lookup: guardedLookup(this.allowList) }) } });
    return { dispatcher: this.direct };
  }

  async close(): Promise<void> {
    const all: Dispatcher[] = [...this.proxies.values(), ...(this.direct ? [this.direct] : [])];
    this.proxies.clear();
    this.direct = undefined;
    await Promise.all(all.map((dispatcher) => dispatcher.destroy().catch(() => undefined)));
  }

  private checkLiteralHost(hostname: string, label: string): void {
    if (!this.allowList) return;
    if (isRefusedLiteralHost(this.allowList, hostname)) {
      throw new RemoteRegistryError('refused', `refusing to connect to ${label}: it is a non-public address not listed in SSRF_ALLOWED_HOSTS`);
    }
  }

  private proxyAgent(proxy: URL, tunnel: boolean): ProxyAgent {
    const key = `${tunnel}|${proxy.href}`;
    let agent = this.proxies.get(key);
    if (!agent) {
      agent = new ProxyAgent({
        uri: proxy.href,
        // Plain http:// targets go as absolute-URI requests, as curl sends them; https:// targets through CONNECT.
        proxyTunnel: tunnel,
        requestTls: this.tls,
        proxyTls: { ...this.tls, ...(this.allowList && { lookup: guardedLookup(this.allowList) }) },
      });
      this.proxies.set(key, agent);
    }
    return agent;
  }
}
