import { authorizeSuperuser, authorizeSuperuserRead } from '../auth/authorize.js';
import type { Principal } from '../auth/principal.js';
import { NotFound } from '../errors.js';
import type { ApiCall } from './router.js';
import { requireFreshLogin } from './session.js';

/**
 * The gate of the superuser panel's endpoints (users, organizations, service keys, registry size,
 * global messages): FEATURE_SUPER_USERS on (else 404, as Quay hides them), then authorize.ts's
 * superuser decision, then Quay's fresh-login rule where the endpoint has it.
 */

type SuperuserPrincipal = Extract<Principal, { kind: 'user' }>;

function requireSuperuserFeature(call: ApiCall<unknown, unknown>): void {
  if (!call.ctx.config.FEATURE_SUPER_USERS) {
    throw new NotFound('namespace', 'superuser endpoints are disabled (FEATURE_SUPER_USERS)');
  }
}

/** Superusers and global read-only superusers. */
export async function superuserReading(
  call: ApiCall<unknown, unknown>,
  options: { freshLogin: boolean },
): Promise<SuperuserPrincipal> {
  requireSuperuserFeature(call);
  const principal = authorizeSuperuserRead(call.ctx, call.actor);
  if (options.freshLogin) await requireFreshLogin(call);
  return principal;
}

/** Superusers only, always after a fresh login: every write, and the reads Quay keeps from global read-only superusers (aggregated logs). */
export async function superuserWriting(call: ApiCall<unknown, unknown>): Promise<SuperuserPrincipal> {
  requireSuperuserFeature(call);
  const principal = authorizeSuperuser(call.actor);
  await requireFreshLogin(call);
  return principal;
}
