import { lookup as dnsLookup } from 'node:dns';
import { type ClientRequest, type IncomingMessage, request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { comparableHost, mayConnect, type OutboundAllowList, outboundAllowList } from './address-policy.js';
import { allowedOutboundUrl, type OutboundConfig } from './outbound-url.js';

/**
 * POSTs JSON to a URL the registry calls on a user's behalf (webhooks, Slack, log-export callbacks),
 * guarded against server-side request forgery where it matters: at connection time. The host name
 * is resolved by a lookup that refuses non-public addresses (address-policy.ts), and the socket
 * connects only to the addresses that lookup approved, so a name re-pointed between the check and
 * the connection (DNS rebinding) gains nothing. IP literals, which are not looked up, are checked
 * directly. Redirects are never followed; no connection is pooled or shared with other requests.
 */

export type OutboundFailure = 'refused' | 'timeout' | 'unreachable';

/** The request did not get an answer. The message names only the receiver's host, never its full URL. */
export class OutboundRequestFailed extends Error {
  constructor(
    readonly failure: OutboundFailure,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'OutboundRequestFailed';
  }
}

/** The resolved addresses of a host include one the policy refuses. */
export class AddressRefused extends Error {
  constructor(host: string) {
    super(`${host} resolves to a non-public address`);
    this.name = 'AddressRefused';
  }
}

/** A dns.lookup that answers only with addresses the policy allows for `host`, and fails when any is refused. */
export function guardedLookup(allowList: OutboundAllowList): LookupFunction {
  return (host, options, callback) => {
    dnsLookup(host, { ...options, all: true }, (err, addresses) => {
      if (err) {
        callback(err, '');
        return;
      }
      if (addresses.length === 0 || addresses.some((found) => !mayConnect(allowList, host, found.address))) {
        callback(new AddressRefused(host), '');
        return;
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

function failureOf(err: unknown, url: URL): OutboundRequestFailed {
  if (err instanceof OutboundRequestFailed) return err;
  if (err instanceof AddressRefused || (err instanceof Error && err.cause instanceof AddressRefused)) {
    return new OutboundRequestFailed('refused', `refused: ${url.hostname} resolves to a non-public address`);
  }
  if (err instanceof Error && err.name === 'AggregateError' && 'errors' in err) {
    const inner = (err as AggregateError).errors.find((e) => e instanceof AddressRefused);
    if (inner) return failureOf(inner, url);
  }
  return new OutboundRequestFailed('unreachable', 'could not connect');
}

/**
 * POSTs `payload` as JSON to `url` and answers the response status (the body is discarded). Throws
 * OutboundRequestFailed when the URL or the address it resolves to is refused (WEBHOOK_HOSTNAME_BLACKLIST,
 * SSRF_ALLOWED_HOSTS), when no complete answer comes within `timeoutMs`, or when the connection fails.
 */
export function postOutboundJson(config: OutboundConfig, url: URL, payload: unknown, timeoutMs: number): Promise<{ status: number }> {
  const allowed = allowedOutboundUrl(config, url.href);
  if (!allowed) return Promise.reject(new OutboundRequestFailed('refused', `refused: ${url.hostname} is not an allowed host`));
  const allowList = outboundAllowList(config);
  const host = comparableHost(allowed.hostname);
  if (isIP(host) && !mayConnect(allowList, host, host)) {
    return Promise.reject(new OutboundRequestFailed('refused', `refused: ${url.hostname} is a non-public address`));
  }
  const body = Buffer.from(JSON.stringify(payload));
  const options: RequestOptions = {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': body.length },
    lookup: guardedLookup(allowList),
    // A fresh connection each time: a pooled socket may have been opened without this lookup.
    agent: false,
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const onResponse = (response: IncomingMessage) => {
      response.on('error', (err) => finish(() => reject(failureOf(err, url))));
      response.on('end', () => finish(() => resolve({ status: response.statusCode ?? 0 })));
      // The body is not needed; reading it lets the response end.
      response.resume();
    };
    const req: ClientRequest = allowed.protocol === 'https:' ? httpsRequest(allowed, options, onResponse) : httpRequest(allowed, options, onResponse);
    const timer = setTimeout(() => {
      const timedOut = new OutboundRequestFailed('timeout', `no answer within ${timeoutMs / 1000}s`);
      finish(() => reject(timedOut));
      req.destroy(timedOut);
    }, timeoutMs);
    req.on('error', (err) => finish(() => reject(failureOf(err, url))));
    req.end(body);
  });
}
