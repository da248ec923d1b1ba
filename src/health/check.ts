/** One named health check: resolves when the service is healthy, throws an Error saying why not. */
export interface HealthCheck {
  name: string;
  /** How long the check may take before it counts as failed. */
  timeoutMs: number;
  run(): Promise<void>;
}

export interface CheckResult {
  status: boolean;
  /** Why the check failed (secrets removed); absent when it passed. */
  failure?: string;
}

/** Resolves or rejects like `work`, or rejects once `timeoutMs` has passed without an answer. */
export async function withinTimeout<T>(work: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} gave no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs every check at once, each under its own timeout; `redact` cleans the failure messages. */
export async function runChecks(
  checks: readonly HealthCheck[],
  redact: (text: string) => string,
): Promise<Record<string, CheckResult>> {
  const outcomes = await Promise.all(
    checks.map(async (check): Promise<[string, CheckResult]> => {
      try {
        await withinTimeout(
          Promise.resolve().then(() => check.run()),
          check.timeoutMs,
          `the ${check.name} check`,
        );
        return [check.name, { status: true }];
      } catch (err) {
        return [check.name, { status: false, failure: redact(reasonOf(err)) }];
      }
    }),
  );
  return Object.fromEntries(outcomes);
}
