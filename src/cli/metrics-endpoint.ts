import { type MetricsServer, type MetricsSource, startMetricsServer } from '../metrics/server.js';

export function parsePort(text: string, option = '--port'): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${option} must be 0-65535, got "${text}"`);
  return port;
}

/** `--metrics-port`: a port number, or "off". */
export function parseMetricsPort(text: string): number | undefined {
  return text === 'off' ? undefined : parsePort(text, '--metrics-port');
}

/** The address to print for a bound host: a wildcard bind is reachable on the loopback address. */
export function shownHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}

/**
 * Starts the Prometheus endpoint unless the port is "off". A taken port is reported but does not
 * stop the process: metrics matter less than the work the process does.
 */
export async function serveMetrics(host: string, portText: string, source: MetricsSource): Promise<MetricsServer | undefined> {
  const port = parseMetricsPort(portText);
  if (port === undefined) return undefined;
  try {
    const server = await startMetricsServer(source, host, port);
    console.log(`quayside metrics on http://${shownHost(host)}:${server.port}/metrics`);
    return server;
  } catch (err) {
    console.error(`quayside: cannot serve metrics on port ${port}: ${(err as Error).message}`);
    return undefined;
  }
}
