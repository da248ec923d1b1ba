import { describe, expect, it } from 'vitest';
import { proxyForLog } from '../../src/api/mirror-view.js';
import { parseProxyUrl } from '../../src/net/proxy-url.js';

describe('proxy settings', () => {
  it('reads a value without a scheme as an http:// proxy, credentials included', () => {
    const url = parseProxyUrl('user:secret@proxy.corp:3128');
    expect([url?.protocol, url?.username, url?.password, url?.host]).toEqual(['http:', 'user', 'secret', 'proxy.corp:3128']);
    expect(parseProxyUrl(' https://proxy.corp ')?.href).toBe('https://proxy.corp/');
    expect(parseProxyUrl('proxy.corp:3128')?.href).toBe('http://proxy.corp:3128/');
  });

  it('takes only http and https proxies', () => {
    expect(parseProxyUrl('')).toBeUndefined();
    expect(parseProxyUrl('   ')).toBeUndefined();
    expect(parseProxyUrl('socks5://proxy.corp:1080')).toBeUndefined();
    expect(parseProxyUrl('http://[bad')).toBeUndefined();
  });

  it('masks the password of every form in usage logs', () => {
    expect(proxyForLog('user:secret@proxy.corp:3128')).toBe('http://user:********@proxy.corp:3128/');
    expect(proxyForLog('http://user:secret@proxy.corp:3128')).toBe('http://user:********@proxy.corp:3128/');
    expect(proxyForLog('socks5://user:secret@proxy.corp:1080')).toBe('********@proxy.corp:1080');
    // A password with a slash does not parse as userinfo: only what follows the last @ is kept.
    expect(proxyForLog('user:12/secret@proxy.corp:3128')).toBe('********@proxy.corp:3128');
    expect(proxyForLog('http://proxy.corp:3128')).toBe('http://proxy.corp:3128');
    expect(proxyForLog(null)).toBeNull();
  });
});
