import { Counter, Registry } from 'prom-client';

/**
 * Prometheus metrics with Quay's names and labels, so that existing dashboards and alerts work.
 * One registry per process; the exposition endpoint reads it.
 */
export interface Metrics {
  registry: Registry;
  /** quay_authentication_attempts_total{auth_kind, success}: every credential check, passed or failed. */
  authenticationAttempts: Counter<'auth_kind' | 'success'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const authenticationAttempts = new Counter({
    name: 'quay_authentication_attempts_total',
    help: 'number of authentication attempts across the registry and API',
    labelNames: ['auth_kind', 'success'] as const,
    registers: [registry],
  });
  return { registry, authenticationAttempts };
}

/** Quay's auth_kind label values (auth/validateresult.py AuthKind). */
export type AuthKindLabel = 'basic' | 'credentials' | 'oauth' | 'cookie' | 'signed_grant' | 'ssojwt';

/** Counts one authentication attempt; success is rendered as Python renders a bool, as Quay's metric does. */
export function countAuthentication(metrics: Metrics, kind: AuthKindLabel, success: boolean): void {
  metrics.authenticationAttempts.inc({ auth_kind: kind, success: success ? 'True' : 'False' });
}

/** Runs one credential check and counts it in quay_authentication_attempts_total. */
export async function countedAuthentication<T>(
  holder: { metrics: Metrics },
  kind: AuthKindLabel,
  check: () => Promise<T>,
): Promise<T> {
  try {
    const result = await check();
    countAuthentication(holder.metrics, kind, true);
    return result;
  } catch (err) {
    countAuthentication(holder.metrics, kind, false);
    throw err;
  }
}
