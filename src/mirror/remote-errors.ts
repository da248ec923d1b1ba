import { AddressRefused } from '../net/outbound-post.js';
import { RemoteRegistryError } from './remote.js';

/**
 * Turns what failed on the way to a remote registry into a RemoteRegistryError a user can act on:
 * it names the registry host (and the proxy, when one was used), never a URL's query or any
 * credentials or tokens.
 */

const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'CERT_REVOKED',
  'CERT_REJECTED',
]);

const EXPIRED_CERTIFICATE_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** Every error in a chain of causes and aggregates (undici wraps, happy eyeballs aggregates). */
function errorChain(err: unknown): (Error & { code?: string })[] {
  const chain: (Error & { code?: string })[] = [];
  const pending: unknown[] = [err];
  while (pending.length > 0 && chain.length < 20) {
    const next = pending.shift();
    if (!(next instanceof Error)) continue;
    chain.push(next as Error & { code?: string });
    if (next.cause !== undefined) pending.push(next.cause);
    if (next instanceof AggregateError) pending.push(...next.errors);
  }
  return chain;
}

function codeIn(err: unknown, test: (code: string) => boolean): (Error & { code?: string }) | undefined {
  return errorChain(err).find((e) => typeof e.code === 'string' && test(e.code));
}

/** Whether a TLS handshake failed because the other side does not speak TLS (or another protocol error). */
export function isTlsProtocolError(err: unknown): boolean {
  return (
    codeIn(err, (code) => code === 'EPROTO' || code.startsWith('ERR_SSL_')) !== undefined ||
    errorChain(err).some((e) => /wrong version number|packet length too long|unknown protocol/i.test(e.message))
  );
}

// OpenSSL's reason, e.g. "wrong version number" out of "…:SSL routines:ssl3_get_record:wrong version number:…".
function tlsReason(err: Error): string {
  const reason = /routines:[^:]*:([^:]+)/.exec(err.message)?.[1] ?? /routines::([^:\n]+)/.exec(err.message)?.[1];
  return (reason ?? err.message).trim().slice(0, 200);
}

/** A message from a lower layer, without anything that looks like a URL (queries and userinfo may hold secrets). */
export function scrubbed(message: string): string {
  return message.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>').slice(0, 300);
}

export interface FailureContext {
  /** host[:port] of the server that was called. */
  host: string;
  /** host[:port] of the proxy the call went through. */
  via?: string | undefined;
  /** Seconds of the timeout that applied, for timeout messages. */
  timeoutSeconds?: number;
}

/** A RemoteRegistryError for a call that got no (complete) answer. RemoteRegistryErrors pass through. */
export function connectionFailure(err: unknown, { host, via, timeoutSeconds }: FailureContext): RemoteRegistryError {
  if (err instanceof RemoteRegistryError) return err;
  const chain = errorChain(err);
  const wrap = (failure: RemoteRegistryError['failure'], message: string) => {
    const mapped = new RemoteRegistryError(failure, message);
    mapped.cause = err;
    return mapped;
  };
  const target = via ? `${host} through proxy ${via}` : host;
  if (chain.some((e) => e instanceof AddressRefused)) {
    return wrap('refused', `refusing to connect to ${via ?? host}: it resolves to a non-public address not listed in SSRF_ALLOWED_HOSTS`);
  }
  const untrusted = codeIn(err, (code) => UNTRUSTED_CERTIFICATE_CODES.has(code));
  if (untrusted) return wrap('tls', `TLS: certificate of ${host} is not trusted (${untrusted.message})`);
  const expired = codeIn(err, (code) => EXPIRED_CERTIFICATE_CODES.has(code));
  if (expired) return wrap('tls', `TLS: certificate of ${host} is not valid now (${expired.message})`);
  const altName = codeIn(err, (code) => code === 'ERR_TLS_CERT_ALTNAME_INVALID');
  if (altName) return wrap('tls', `TLS: certificate of ${host} does not name that host (${scrubbed(altName.message)})`);
  if (isTlsProtocolError(err)) {
    const tlsError = chain.find((e) => e.code === 'EPROTO' || e.code?.startsWith('ERR_SSL_')) ?? chain[0]!;
    const reason = tlsReason(tlsError);
    const hint = /wrong version number|packet length too long/i.test(reason) ? '; it may not speak HTTPS (turn TLS verification off to allow plain HTTP)' : '';
    return wrap('tls', `TLS: handshake with ${host} failed (${reason})${hint}`);
  }
  const proxyAnswer = chain.find((e) => /^Proxy response \((\d+)\)/.test(e.message));
  if (proxyAnswer) {
    const status = /\((\d+)\)/.exec(proxyAnswer.message)?.[1];
    return wrap('unreachable', `proxy ${via ?? ''} refused to connect to ${host} (${status})`);
  }
  const code = chain.find((e) => typeof e.code === 'string')?.code;
  const timedOut = chain.some((e) => e.name === 'TimeoutError' || e.name === 'AbortError') || code === 'UND_ERR_HEADERS_TIMEOUT';
  if (timedOut) return wrap('unreachable', `${target} did not answer within ${timeoutSeconds ?? '?'}s`);
  switch (code) {
    case 'ECONNREFUSED':
      return wrap('unreachable', via ? `cannot reach proxy ${via}: connection refused` : `cannot reach ${host}: connection refused`);
    case 'ENOTFOUND':
      return wrap('unreachable', `cannot reach ${target}: the host name does not resolve`);
    case 'EAI_AGAIN':
      return wrap('unreachable', `cannot reach ${target}: DNS lookup failed temporarily`);
    case 'ETIMEDOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return wrap('unreachable', `cannot reach ${target}: connection timed out`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return wrap('unreachable', `cannot reach ${target}: no route to host`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return wrap('unreachable', `connection to ${target} was closed unexpectedly`);
    case 'UND_ERR_BODY_TIMEOUT':
      return wrap('unreachable', `${target} stopped sending data for ${timeoutSeconds ?? '?'}s`);
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      return wrap('invalid', `the data sent to ${host} did not have its announced length`);
    default: {
      const first = chain[0];
      const detail = code ?? (first ? scrubbed(first.message) : String(err));
      return wrap('unreachable', `request to ${target} failed: ${detail}`);
    }
  }
}

/** `code: message` of an OCI error body, for messages; undefined when the body is not one. */
export function ociErrorSummary(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = Array.isArray(parsed.errors) ? parsed.errors[0] : undefined;
    if (!first) return undefined;
    const parts = [first.code, first.message].filter((part): part is string => typeof part === 'string' && part !== '');
    return parts.length > 0 ? scrubbed(parts.join(': ')).slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}
