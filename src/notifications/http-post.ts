import { OutboundRequestFailed, postOutboundJson } from '../net/outbound-post.js';
import type { OutboundConfig } from '../net/outbound-url.js';
import { DeliveryFailed } from './method.js';

/**
 * POSTs `payload` as JSON to `url` within `timeoutSeconds` through the SSRF-guarded outbound path;
 * any answer other than 2xx, a refused address, a timeout or a connection error is a DeliveryFailed
 * naming only the receiver's host.
 */
export async function postJson(
  config: OutboundConfig,
  url: URL,
  payload: unknown,
  timeoutSeconds: number,
  what: string,
): Promise<void> {
  let status: number;
  try {
    ({ status } = await postOutboundJson(config, url, payload, timeoutSeconds * 1000));
  } catch (err) {
    if (err instanceof OutboundRequestFailed) throw new DeliveryFailed(`${what} to ${url.host} failed: ${err.detail}`);
    throw err;
  }
  if (status < 200 || status > 299) {
    throw new DeliveryFailed(`${what} to ${url.host} failed: answered ${status}`);
  }
}
