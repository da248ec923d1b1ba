/**
 * A proxy setting (http_proxy, https_proxy) as curl and skopeo read it: `host:port` without a scheme
 * is an http:// proxy, so `user:secret@proxy.corp:3128` is user `user` with a password, not a URL
 * of scheme `user:`. Only http:// and https:// proxies are taken.
 */

const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** The proxy URL of a setting; undefined when it is empty, or not an http(s) URL. */
export function parseProxyUrl(value: string): URL | undefined {
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  let url: URL;
  try {
    url = new URL(HAS_SCHEME.test(trimmed) ? trimmed : `http://${trimmed}`);
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
}
