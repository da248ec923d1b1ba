import { hostname } from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateApiRequest } from '../api/authenticate.js';
import { mayViewHealthDiagnostics } from '../auth/authorize.js';
import type { AppContext } from '../context.js';
import { runChecks, withinTimeout } from './check.js';
import { secretRedactor } from './redact.js';
import { healthAnswer } from './report.js';
import { HealthStatusLog } from './status-log.js';
import { type HealthSuite, plannedChecks } from './suites.js';

/** Recognising a superuser needs the database, which may be the very thing that is down. */
const CALLER_TIMEOUT_MS = 3000;

const ROUTES: ReadonlyArray<[path: string, suite: HealthSuite]> = [
  ['/health', 'instance'],
  ['/health/instance', 'instance'],
  ['/status', 'endtoend'],
  ['/health/endtoend', 'endtoend'],
  ['/health/warning', 'warning'],
];

/**
 * Whether the caller is a signed-in superuser (session cookie or OAuth token). Probes are
 * anonymous; a credential that is bad, or cannot be checked in time, just means no diagnostics.
 */
async function callerSeesDiagnostics(ctx: AppContext, request: FastifyRequest): Promise<boolean> {
  if (!request.headers.authorization && !request.headers.cookie) return false;
  try {
    const actor = await withinTimeout(
      authenticateApiRequest(ctx, request, { invalidSessionIsAnonymous: true }),
      CALLER_TIMEOUT_MS,
      'authentication',
    );
    return mayViewHealthDiagnostics(actor);
  } catch {
    return false;
  }
}

/** Quay's health endpoints. No authentication needed; every check runs in parallel under a timeout. */
export async function healthRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const redact = secretRedactor(ctx.config);
  const statusLog = new HealthStatusLog(ctx.log);

  const answer = (suite: HealthSuite) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { checks, notes } = plannedChecks(ctx, suite);
    const [results, diagnostics] = await Promise.all([runChecks(checks, redact), callerSeesDiagnostics(ctx, request)]);
    statusLog.record(results);
    const body = healthAnswer(
      results,
      diagnostics ? { hostname: hostname(), localServiceKeyId: ctx.tokens.keyId, notes } : undefined,
    );
    return reply.code(body.status_code).header('cache-control', 'no-store').send(body);
  };

  // Probes arrive every few seconds: keep them out of the request log.
  for (const [path, suite] of ROUTES) app.get(path, { logLevel: 'warn' }, answer(suite));
}
