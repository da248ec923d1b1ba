import { DeliveryFailed } from './method.js';

/**
 * POSTs `payload` as JSON to `url` within `timeoutSeconds`; any answer other than 2xx, a timeout
 * or a connection error is a DeliveryFailed naming only the receiver's host.
 */
export async function postJson(url: URL, payload: unknown, timeoutSeconds: number, what: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutSeconds * 1000),
    });
  } catch (err) {
    const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutSeconds}s` : 'could not connect';
    throw new DeliveryFailed(`${what} to ${url.host} failed: ${reason}`);
  }
  // The body is not needed; reading it frees the connection.
  await response.arrayBuffer().catch(() => undefined);
  if (response.status < 200 || response.status > 299) {
    throw new DeliveryFailed(`${what} to ${url.host} failed: answered ${response.status}`);
  }
}
