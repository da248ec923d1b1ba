import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLocalhostName, isNonPublicAddress, isRefusedLiteralHost, mayConnect, outboundAllowList } from '../../src/net/address-policy.js';
import { AddressRefused, guardedLookup, OutboundRequestFailed, postOutboundJson } from '../../src/net/outbound-post.js';
import { allowedOutboundUrl } from '../../src/net/outbound-url.js';

/** The outbound keys with nothing blacklisted and nothing allow-listed, plus `overrides`. */
function outboundConfig(overrides: { WEBHOOK_HOSTNAME_BLACKLIST?: string[]; SSRF_ALLOWED_HOSTS?: string[] } = {}) {
  return { WEBHOOK_HOSTNAME_BLACKLIST: [], SSRF_ALLOWED_HOSTS: [], ...overrides };
}

/** A receiver on 127.0.0.1: records each POST body and answers `status`, or never answers when `status` is 0. */
class Receiver {
  readonly bodies: unknown[] = [];
  status = 200;
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      this.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      if (this.status === 0) return;
      res.statusCode = this.status;
      if (this.status === 302) res.setHeader('location', 'http://hooks.example.com/elsewhere');
      res.end('ok');
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Runs a lookup function the way net.connect does and answers its error or addresses. */
function runLookup(lookup: ReturnType<typeof guardedLookup>, host: string, all: boolean) {
  return new Promise<{ err: Error | null; addresses: string[] }>((resolve) => {
    lookup(host, { all }, (err, address) => {
      const addresses = Array.isArray(address) ? address.map((entry: LookupAddress) => entry.address) : address ? [address] : [];
      resolve({ err, addresses });
    });
  });
}

describe('outbound address policy', () => {
  const none = outboundAllowList(outboundConfig());

  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '0.0.0.0',
    '::',
    '::1',
    '169.254.169.254',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '100.64.0.1',
    '224.0.0.1',
    '255.255.255.255',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:169.254.169.254',
  ])('refuses %s', (address) => {
    expect(isNonPublicAddress(address)).toBe(true);
    expect(mayConnect(none, address, address)).toBe(false);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111'])('allows the public address %s', (address) => {
    expect(isNonPublicAddress(address)).toBe(false);
    expect(mayConnect(none, 'hooks.example.com', address)).toBe(true);
  });

  it('treats anything that is not an IP address as refused', () => {
    expect(mayConnect(none, 'hooks.example.com', 'not-an-ip')).toBe(false);
  });

  it('allows what SSRF_ALLOWED_HOSTS lists: single IPs, CIDR ranges and host names', () => {
    const allowList = outboundAllowList(outboundConfig({ SSRF_ALLOWED_HOSTS: ['127.0.0.1', '10.20.0.0/16', 'fd00::/8', 'Hooks.Internal.'] }));
    expect(mayConnect(allowList, '127.0.0.1', '127.0.0.1')).toBe(true);
    expect(mayConnect(allowList, '127.0.0.2', '127.0.0.2')).toBe(false);
    expect(mayConnect(allowList, 'ci.example.com', '10.20.3.4')).toBe(true);
    expect(mayConnect(allowList, 'ci.example.com', '10.21.3.4')).toBe(false);
    expect(mayConnect(allowList, 'ci.example.com', 'fd00::5')).toBe(true);
    expect(mayConnect(allowList, 'hooks.internal', '192.168.7.7')).toBe(true);
    expect(mayConnect(allowList, 'other.internal', '192.168.7.7')).toBe(false);
    // The metadata address stays refused unless it is listed itself.
    expect(mayConnect(allowList, '169.254.169.254', '169.254.169.254')).toBe(false);
  });
});

describe('refused literal hosts', () => {
  const none = outboundAllowList(outboundConfig());

  it('refuses non-public IP literals and localhost names without a lookup, public ones and other names pass', () => {
    for (const host of ['127.0.0.1', '169.254.169.254', '[::1]', '::1', '10.1.2.3', 'localhost', 'LocalHost.', 'api.localhost']) {
      expect(isRefusedLiteralHost(none, host), host).toBe(true);
    }
    for (const host of ['93.184.216.34', '[2606:4700::1]', 'quay.io', 'localhost.example.com']) {
      expect(isRefusedLiteralHost(none, host), host).toBe(false);
    }
    expect(isLocalhostName('my.localhost')).toBe(true);
    expect(isLocalhostName('localhosts')).toBe(false);
  });

  it('lets SSRF_ALLOWED_HOSTS lift the refusal', () => {
    const allowList = outboundAllowList(outboundConfig({ SSRF_ALLOWED_HOSTS: ['127.0.0.1', 'localhost', '::1'] }));
    expect(isRefusedLiteralHost(allowList, '127.0.0.1')).toBe(false);
    expect(isRefusedLiteralHost(allowList, 'localhost')).toBe(false);
    expect(isRefusedLiteralHost(allowList, '[::1]')).toBe(false);
    expect(isRefusedLiteralHost(allowList, '169.254.169.254')).toBe(true);
  });
});

describe('outbound URL check', () => {
  it.each([
    'http://127.0.0.1/hook',
    'http://127.1/hook',
    'http://0.0.0.0/hook',
    'http://0/hook',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://2130706433/hook',
    'http://0x7f.1/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.1.2.3/hook',
    'https://192.168.0.10/hook',
    'http://localhost:8080/hook',
    'http://api.localhost/hook',
  ])('refuses %s', (url) => {
    expect(allowedOutboundUrl(outboundConfig(), url)).toBeUndefined();
  });

  it('accepts a public host name or address', () => {
    expect(allowedOutboundUrl(outboundConfig(), 'https://hooks.example.com/x?token=1')?.host).toBe('hooks.example.com');
    expect(allowedOutboundUrl(outboundConfig(), 'http://93.184.215.14/x')?.host).toBe('93.184.215.14');
  });

  it('accepts allow-listed hosts, in any spelling of the address', () => {
    const config = outboundConfig({ SSRF_ALLOWED_HOSTS: ['127.0.0.1', '10.0.0.0/8', 'localhost'] });
    expect(allowedOutboundUrl(config, 'http://127.1:9000/x')?.hostname).toBe('127.0.0.1');
    expect(allowedOutboundUrl(config, 'http://10.9.8.7/x')).toBeDefined();
    expect(allowedOutboundUrl(config, 'http://localhost:9000/x')).toBeDefined();
    expect(allowedOutboundUrl(config, 'http://192.168.1.1/x')).toBeUndefined();
  });

  it('keeps WEBHOOK_HOSTNAME_BLACKLIST in force for allow-listed and public hosts', () => {
    const config = outboundConfig({ WEBHOOK_HOSTNAME_BLACKLIST: ['127.0.0.1', 'hooks.example.com'], SSRF_ALLOWED_HOSTS: ['127.0.0.1'] });
    expect(allowedOutboundUrl(config, 'http://127.0.0.1/x')).toBeUndefined();
    expect(allowedOutboundUrl(config, 'https://HOOKS.example.com./x')).toBeUndefined();
    expect(allowedOutboundUrl(config, 'https://other.example.com/x')).toBeDefined();
  });
});

describe('connection-time lookup', () => {
  it.each([true, false])('refuses a name that resolves to loopback (localhost, all=%s)', async (all) => {
    const { err, addresses } = await runLookup(guardedLookup(outboundAllowList(outboundConfig())), 'localhost', all);
    expect(err).toBeInstanceOf(AddressRefused);
    expect(addresses).toEqual([]);
  });

  it.each([true, false])('answers the addresses of an allow-listed name (all=%s)', async (all) => {
    const allowList = outboundAllowList(outboundConfig({ SSRF_ALLOWED_HOSTS: ['127.0.0.0/8', '::1'] }));
    const { err, addresses } = await runLookup(guardedLookup(allowList), 'localhost', all);
    expect(err).toBeNull();
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) expect(['127.0.0.1', '::1']).toContain(address);
  });

  it('passes resolver errors on unchanged', async () => {
    const { err } = await runLookup(guardedLookup(outboundAllowList(outboundConfig())), 'no-such-host.invalid', true);
    expect(err).not.toBeNull();
    expect(err).not.toBeInstanceOf(AddressRefused);
  });
});

describe('guarded POST', () => {
  const receiver = new Receiver();
  let url: URL;

  beforeAll(async () => {
    await receiver.start();
    url = new URL(`http://127.0.0.1:${receiver.port}/hook?secret=s3cr3t`);
  });

  afterAll(async () => {
    await receiver.close();
  });

  async function failure(promise: Promise<unknown>): Promise<OutboundRequestFailed> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OutboundRequestFailed);
    return err as OutboundRequestFailed;
  }

  it('refuses a loopback receiver that is not allow-listed, without sending anything', async () => {
    const before = receiver.bodies.length;
    const err = await failure(postOutboundJson(outboundConfig(), url, { a: 1 }, 5000));
    expect(err.failure).toBe('refused');
    expect(err.message).not.toContain('s3cr3t');
    await failure(postOutboundJson(outboundConfig(), new URL(`http://127.1:${receiver.port}/hook`), { a: 1 }, 5000));
    await failure(postOutboundJson(outboundConfig(), new URL(`http://2130706433:${receiver.port}/hook`), { a: 1 }, 5000));
    expect(receiver.bodies).toHaveLength(before);
  });

  it('posts JSON to an allow-listed receiver and answers its status', async () => {
    const config = outboundConfig({ SSRF_ALLOWED_HOSTS: ['127.0.0.1'] });
    receiver.status = 202;
    expect(await postOutboundJson(config, url, { event: 'repo_push', n: 1 }, 5000)).toEqual({ status: 202 });
    expect(receiver.bodies.at(-1)).toEqual({ event: 'repo_push', n: 1 });
    receiver.status = 200;
  });

  it('connects through the guarded lookup when the receiver is named, and only when the name is allowed', async () => {
    const named = new URL(`http://localhost:${receiver.port}/hook`);
    const before = receiver.bodies.length;
    // 127.0.0.1 allow-listed by address does not let the name localhost through the URL check.
    const refused = await failure(postOutboundJson(outboundConfig({ SSRF_ALLOWED_HOSTS: ['127.0.0.1'] }), named, {}, 5000));
    expect(refused.failure).toBe('refused');
    expect(receiver.bodies).toHaveLength(before);
    // The receiver listens on IPv4 only; a lookup answering ::1 first still reaches it through 127.0.0.1.
    const config = outboundConfig({ SSRF_ALLOWED_HOSTS: ['localhost'] });
    expect(await postOutboundJson(config, named, { via: 'name' }, 5000)).toEqual({ status: 200 });
    expect(receiver.bodies.at(-1)).toEqual({ via: 'name' });
  });

  // This machine's own name usually resolves to one of its non-public addresses; it must be refused at connect time.
  const ownName = hostname();
  const ownAddresses = new Promise<string[]>((resolve) =>
    dnsLookup(ownName, { all: true }, (err, found) => resolve(err ? [] : found.map((entry) => entry.address))),
  );

  it('refuses a host name that resolves to a non-public address when connecting', async (context) => {
    const addresses = await ownAddresses;
    if (addresses.length === 0 || !addresses.every(isNonPublicAddress) || ownName.endsWith('localhost')) {
      context.skip();
      return;
    }
    const before = receiver.bodies.length;
    const err = await failure(postOutboundJson(outboundConfig(), new URL(`http://${ownName}:${receiver.port}/hook`), {}, 5000));
    expect(err.failure).toBe('refused');
    expect(err.message).toContain('non-public address');
    expect(receiver.bodies).toHaveLength(before);
  });

  it('does not follow redirects', async () => {
    receiver.status = 302;
    const before = receiver.bodies.length;
    expect(await postOutboundJson(outboundConfig({ SSRF_ALLOWED_HOSTS: ['127.0.0.1'] }), url, {}, 5000)).toEqual({ status: 302 });
    expect(receiver.bodies).toHaveLength(before + 1);
    receiver.status = 200;
  });

  it('gives up on a receiver that never answers', async () => {
    receiver.status = 0;
    const err = await failure(postOutboundJson(outboundConfig({ SSRF_ALLOWED_HOSTS: ['127.0.0.1'] }), url, {}, 300));
    expect(err.failure).toBe('timeout');
    receiver.status = 200;
  });

  it('reports a receiver that cannot be reached', async () => {
    const closed = new Receiver();
    await closed.start();
    const port = closed.port;
    await closed.close();
    const err = await failure(
      postOutboundJson(outboundConfig({ SSRF_ALLOWED_HOSTS: ['127.0.0.1'] }), new URL(`http://127.0.0.1:${port}/`), {}, 5000),
    );
    expect(err.failure).toBe('unreachable');
  });
});
