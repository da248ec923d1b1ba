import type { Logger } from 'pino';
import type { CheckResult } from './check.js';

/**
 * Logs each check when its outcome changes (failing: warn with the redacted reason; recovered:
 * info), so an outage probed every few seconds leaves two lines, not thousands.
 */
export class HealthStatusLog {
  private readonly last = new Map<string, boolean>();

  constructor(private readonly log: Logger) {}

  record(results: Record<string, CheckResult>): void {
    for (const [name, result] of Object.entries(results)) {
      const before = this.last.get(name);
      this.last.set(name, result.status);
      if (before === result.status || (before === undefined && result.status)) continue;
      if (result.status) this.log.info({ service: name }, 'health check passes again');
      else this.log.warn({ service: name, failure: result.failure }, 'health check failed');
    }
  }
}
